#include <archive.h>
#include <archive_entry.h>

// The AE_IF* macros carry casts that Swift does not import.
static const unsigned int IMAGECTL_AE_IFREG = 0100000;
static const unsigned int IMAGECTL_AE_IFDIR = 0040000;
static const unsigned int IMAGECTL_AE_IFLNK = 0120000;

// Extended attributes of files on disk: overlayfs's opaque marker, and the security.capability a
// layer carries. Glibc's module does not export <sys/xattr.h>.
#include <sys/xattr.h>
