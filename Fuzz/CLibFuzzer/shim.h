// libFuzzer's driver entry point (compiler-rt FuzzerInterface.h), linked by `-sanitize=fuzzer`. The harness
// executable calls it from its own main, because SwiftPM renames an executable module's entry point.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
