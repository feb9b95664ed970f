#include "raftstate/msgpack.h"
