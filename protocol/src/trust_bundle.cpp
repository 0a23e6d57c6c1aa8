// Placeholder: being implemented (see the matching header).
#include "aegis/protocol/trust_bundle.hpp"
