// GMP's mpz_* names are macros, which Swift cannot import; callers use the exported __gmpz_* symbols.
#include <gmp.h>
