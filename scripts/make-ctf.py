#!/usr/bin/env python3
"""Writes a synthetic DfE Common Transfer File (docs/ctf.md) with N pupils, for tests and the
import benchmark. Standard library only; deterministic for a given --seed; streams, so
300,000 pupils take a few seconds and little memory.

Every pupil is valid for aegis (adapters/src/ctf.cpp): a UPN with its correct check letter
(unique in the file), a ULN with its check digit for about half, names from the names
directory, a postcode in the official form, a date of birth 4 to 16 years before the file's
date, 1-2 contacts. Some pupils carry elements aegis skips (FSMhistory, Attendance, Phones,
Email) so the skipping is exercised too.

  scripts/make-ctf.py --pupils 300000 --seed 7 --output big.xml
"""
import argparse
import datetime
import os
import random
import sys
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_people import DEFAULT_NAMES, Names, make_uln, make_upn  # noqa: E402

STREETS = ["High", "Church", "Station", "Victoria", "Park", "Green", "Manor", "Mill", "School",
           "Queens", "Kings", "New", "Grange", "Windsor", "Albert", "Springfield", "Orchard"]
STREET_KINDS = ["Street", "Road", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent"]
TOWNS = ["Maidstone", "Ashford", "Canterbury", "Dover", "Folkestone", "Margate", "Sevenoaks",
         "Tonbridge", "Dartford", "Gravesend", "Whitstable", "Faversham", "Deal", "Sandwich"]
HOUSE_NAMES = ["Rose Cottage", "The Old Forge", "Ivy House", "Orchard View", "The Laurels"]


class Generator:
    def __init__(self, args, rng):
        self.args = args
        self.rng = rng
        self.names = Names(rng, args.names)
        self.file_date = datetime.date.fromisoformat(args.date[:10])

    def surname(self):
        return self.names.surname()

    def postcode(self):
        return self.names.postcode()

    def address(self, indent):
        r = self.rng
        street = "%s %s" % (r.choice(STREETS), r.choice(STREET_KINDS))
        town = r.choice(TOWNS)
        pad = " " * indent
        out = [pad + "<Address>"]
        if r.random() < 0.8:
            paon = r.choice(HOUSE_NAMES) if r.random() < 0.05 else str(r.randint(1, 250))
            out.append(pad + "  <BS7666Address>")
            if r.random() < 0.1:
                out.append(pad + "    <SAON>Flat %d</SAON>" % r.randint(1, 12))
            out.append(pad + "    <PAON>%s</PAON>" % paon)
            out.append(pad + "    <Street>%s</Street>" % street)
            out.append(pad + "    <Town>%s</Town>" % town)
            out.append(pad + "    <PostTown>%s</PostTown>" % town)
            out.append(pad + "  </BS7666Address>")
        else:
            out.append(pad + "  <AddressLines>")
            out.append(pad + "    <AddressLine1>%d %s</AddressLine1>" % (r.randint(1, 250), street))
            out.append(pad + "    <AddressLine2>%s</AddressLine2>" % town)
            out.append(pad + "  </AddressLines>")
        out.append(pad + "  <County>Kent</County>")
        out.append(pad + "  <PostCode>%s</PostCode>" % self.postcode())
        out.append(pad + "</Address>")
        return out

    def phones(self, indent):
        pad = " " * indent
        r = self.rng
        out = [pad + "<Phones>"]
        for _ in range(r.randint(1, 2)):
            kind, number = (("M", "07%03d %06d" % (r.randint(0, 999), r.randint(0, 999999)))
                            if r.random() < 0.7 else
                            ("H", "01%03d %06d" % (r.randint(200, 999), r.randint(0, 999999))))
            out.append(pad + "  <Phone><TelephoneType>%s</TelephoneType><PhoneNo>%s</PhoneNo></Phone>"
                       % (kind, number))
        out.append(pad + "</Phones>")
        return out

    def contact(self, order, surname, relationship, female):
        r = self.rng
        out = ["      <Contact>",
               "        <Order>%d</Order>" % order,
               "        <Title>%s</Title>" % ("Mrs" if female else "Mr"),
               "        <Surname>%s</Surname>" % escape(surname),
               "        <Forename>%s</Forename>" % escape(self.names.forename(female)),
               "        <Gender>%s</Gender>" % ("F" if female else "M"),
               "        <Relationship>%s</Relationship>" % relationship,
               "        <Responsibility>%s</Responsibility>" % ("true" if relationship in ("PAM", "PAF", "CAR") else "false")]
        if r.random() < 0.85:
            out.append("        <AddressAsPupil>true</AddressAsPupil>")
        else:
            out += self.address(8)
        out += self.phones(8)
        out.append("      </Contact>")
        return out

    def pupil(self, i):
        r = self.rng
        female = r.random() < 0.5
        surname = self.surname()
        forename = self.names.forename(female)
        age_days = r.randint(4 * 365, 16 * 365)
        dob = self.file_date - datetime.timedelta(days=age_days)
        out = ["  <Pupil>",
               "    <UPN>%s</UPN>" % make_upn(self.args.lea, i)]
        uln = make_uln(i) if age_days > 13 * 365 else None
        if uln:
            out.append("    <UniqueLearnerNumber>%s</UniqueLearnerNumber>" % uln)
        out += ["    <Surname>%s</Surname>" % escape(surname),
                "    <Forename>%s</Forename>" % escape(forename),
                "    <DOB>%s</DOB>" % dob.isoformat(),
                "    <Sex>%s</Sex>" % ("F" if female else "M"),
                "    <BasicDetails>"]
        if r.random() < 0.1:
            out.append("      <PreferredForename>%s</PreferredForename>"
                       % escape(self.names.forename(female)))
        if r.random() < 0.03:
            out.append("      <FormerSurname>%s</FormerSurname>" % escape(self.surname()))
        if r.random() < 0.4:
            out.append("      <MiddleNames>%s</MiddleNames>"
                       % escape(self.names.forename(female)))
        out += ["      <NCyearActual>%d</NCyearActual>" % max(0, min(11, age_days // 365 - 5)),
                "      <EnrolStatus>C</EnrolStatus>",
                "    </BasicDetails>"]
        if r.random() < 0.15:
            out += ["    <FSMhistory><FSMinstance><FSMstartDate>%s</FSMstartDate>"
                    "<UKcountry>ENG</UKcountry></FSMinstance></FSMhistory>"
                    % (self.file_date - datetime.timedelta(days=r.randint(30, 700))).isoformat()]
        out += self.address(4)
        if r.random() < 0.3:
            out += self.phones(4)
        out.append("    <Contacts>")
        first_female = r.random() < 0.8
        out += self.contact(1, surname, "PAM" if first_female else "PAF", first_female)
        if r.random() < 0.6:
            second_female = not first_female
            out += self.contact(2, surname if r.random() < 0.7 else self.surname(),
                                "PAM" if second_female else "PAF", second_female)
        out.append("    </Contacts>")
        if r.random() < 0.2:
            out.append("    <Attendance><YearData><Year>%d</Year><SessionsPossible>%d"
                       "</SessionsPossible></YearData></Attendance>"
                       % (self.file_date.year - 1, r.randint(300, 380)))
        out.append("  </Pupil>")
        return out

    def header(self):
        a = self.args
        return ['<?xml version="1.0" encoding="UTF-8"?>',
                "<CTfile>",
                "<Header>",
                "  <DocumentName>Common Transfer File</DocumentName>",
                "  <CTFversion>25.0</CTFversion>",
                "  <DateTime>%s</DateTime>" % a.date,
                "  <DocumentQualifier>%s</DocumentQualifier>" % a.qualifier,
                "  <SupplierID>aegis make-ctf.py</SupplierID>",
                "  <SourceSchool>",
                "    <LEA>%s</LEA>" % a.lea,
                "    <Estab>%s</Estab>" % a.estab,
                "    <URN>%s</URN>" % a.urn,
                "    <SchoolName>%s</SchoolName>" % escape(a.school_name),
                "    <AcademicYear>%d</AcademicYear>" % self.file_date.year,
                "  </SourceSchool>",
                "  <DestSchool><LEA>%s</LEA><Estab>LLLL</Estab></DestSchool>" % a.lea,
                "</Header>",
                "<CTFpupilData>"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pupils", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--names", help="names directory (first_names_*.csv, last_names.csv, "
                   "uk_postcode_areas.txt); default %s if present, else a built-in list"
                   % DEFAULT_NAMES)
    p.add_argument("--output", help="file to write (default: standard output)")
    p.add_argument("--qualifier", choices=["full", "partial"], default="full")
    p.add_argument("--date", default="2024-02-01T10:30:00", help="Header/DateTime")
    p.add_argument("--lea", default="886")
    p.add_argument("--estab", default="2001")
    p.add_argument("--urn", default="118000")
    p.add_argument("--school-name", default="Oakfield Primary School")
    args = p.parse_args()
    if not (len(args.lea) == 3 and args.lea.isdigit() and len(args.estab) == 4
            and args.estab.isdigit()):
        p.error("--lea must be 3 digits and --estab 4 digits")
    if args.pupils < 0 or args.pupils > 135_000_000:
        p.error("--pupils must be 0..135000000")

    gen = Generator(args, random.Random(args.seed))
    out = open(args.output, "w", encoding="utf-8", newline="\n") if args.output else sys.stdout
    try:
        out.write("\n".join(gen.header()) + "\n")
        for i in range(args.pupils):
            out.write("\n".join(gen.pupil(i)) + "\n")
        out.write("</CTFpupilData>\n</CTfile>\n")
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
