// Placeholder: being implemented (see the matching header).
#include "aegis/protocol/record.hpp"
