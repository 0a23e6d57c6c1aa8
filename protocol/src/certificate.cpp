// Placeholder: being implemented (see the matching header).
#include "aegis/protocol/certificate.hpp"
