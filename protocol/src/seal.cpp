// Placeholder: being implemented (see the matching header).
#include "aegis/protocol/seal.hpp"
