# A strict parser of the Prometheus text exposition format 0.0.4 (what `promtool check metrics`
# checks for syntax), for the metrics integration tests. Python standard library only.
#
#   families = parse(text)          # raises harness.TestFailure naming the line at fault
#   families["aegis_up"].samples     # {(("label", "value"), ...): value}
import math
import re

import harness as h

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Family:
    def __init__(self, name):
        self.name = name
        self.type = None
        self.help = None
        self.samples = {}

    def value(self, **labels):
        key = tuple(sorted(labels.items()))
        h.check(key in self.samples, f"{self.name}: no sample {labels} in {self.samples}")
        return self.samples[key]


def _unescape(text, quote, where):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            h.check(i + 1 < len(text), f"{where}: dangling backslash")
            n = text[i + 1]
            allowed = {"\\": "\\", "n": "\n"}
            if quote:
                allowed['"'] = '"'
            h.check(n in allowed, f"{where}: bad escape \\{n}")
            out.append(allowed[n])
            i += 2
            continue
        h.check(c != "\n", f"{where}: raw newline")
        out.append(c)
        i += 1
    return "".join(out)


def _value(text, where):
    if text in ("NaN", "+Inf", "-Inf"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    h.check(re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text) is not None,
            f"{where}: value {text!r} is not a number")
    return float(text)


def _labels(text, where):
    """Parses `a="x",b="y"` (the part between braces); returns a sorted tuple of pairs."""
    pairs, i = [], 0
    while i < len(text):
        m = LABEL.match(text, i)
        h.check(m is not None, f"{where}: bad label name at {text[i:]!r}")
        name = m.group(0)
        h.check(not name.startswith("__"), f"{where}: reserved label name {name}")
        i = m.end()
        h.check(text[i:i + 2] == '="', f"{where}: expected =\" after {name}")
        i += 2
        j = i
        while j < len(text) and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        h.check(j < len(text), f"{where}: unterminated value of {name}")
        pairs.append((name, _unescape(text[i:j], True, where)))
        i = j + 1
        if i < len(text):
            h.check(text[i] == ",", f"{where}: expected , between labels")
            i += 1
            h.check(i < len(text), f"{where}: trailing comma")
    names = [n for n, _ in pairs]
    h.check(len(names) == len(set(names)), f"{where}: a label twice")
    return tuple(sorted(pairs))


def parse(text):
    """Returns {name: Family}; every rule broken raises TestFailure naming the line."""
    h.check(text.endswith("\n"), "the exposition does not end with a newline")
    families, order, closed = {}, [], set()
    current = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {n}: {line!r}"
        h.check(line != "", f"{where}: empty line")
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                h.check(NAME.fullmatch(name) is not None, f"{where}: bad metric name")
                f = families.setdefault(name, Family(name))
                if name not in order:
                    order.append(name)
                h.check(not f.samples, f"{where}: {parts[1]} after the samples of {name}")
                h.check(name not in closed, f"{where}: {name} declared again")
                if current and current != name:
                    closed.add(current)
                current = name
                if parts[1] == "HELP":
                    h.check(f.help is None, f"{where}: HELP twice")
                    f.help = _unescape(parts[3] if len(parts) > 3 else "", False, where)
                else:
                    h.check(f.type is None, f"{where}: TYPE twice")
                    h.check(len(parts) == 4 and parts[3] in TYPES, f"{where}: bad TYPE")
                    f.type = parts[3]
            continue  # other comments are allowed
        m = NAME.match(line)
        h.check(m is not None, f"{where}: bad sample name")
        name, rest = m.group(0), line[m.end():]
        labels = ()
        if rest.startswith("{"):
            end = rest.rfind("}")
            h.check(end > 0, f"{where}: unterminated labels")
            labels = _labels(rest[1:end], where)
            rest = rest[end + 1:]
        h.check(rest.startswith(" "), f"{where}: expected a space before the value")
        fields = rest[1:].split(" ")
        h.check(1 <= len(fields) <= 2, f"{where}: expected a value and an optional timestamp")
        value = _value(fields[0], where)
        if len(fields) == 2:
            h.check(re.fullmatch(r"-?\d+", fields[1]) is not None, f"{where}: bad timestamp")
        f = families.get(name)
        h.check(f is not None and f.type is not None, f"{where}: sample without a TYPE line")
        h.check(name not in closed and current == name,
                f"{where}: samples of {name} are not together")
        h.check(labels not in f.samples, f"{where}: the same series twice")
        if f.type == "counter":
            h.check(not math.isnan(value) and value >= 0, f"{where}: a counter below 0 or NaN")
        f.samples[labels] = value
    return families
