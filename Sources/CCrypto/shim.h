#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>

// OpenSSL frees its tables in an atexit handler: a thread still hashing (a push's upload, the
// context walk) when the process exits on an error would then crash in freed memory. Asked for
// before anything else initialises OpenSSL (libcurl does too), that handler is never installed.
static inline int imagectl_openssl_no_atexit(void) { return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL); }
