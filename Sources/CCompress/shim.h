#include <libdeflate.h>
#include <zstd.h>
