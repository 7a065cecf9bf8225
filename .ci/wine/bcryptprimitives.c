/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Go test
 * binaries under Wine releases that lack it (Debian 12's Wine 8.0). Go's
 * runtime needs one function from it, ProcessPrng, to fill buffers with
 * random bytes; this one asks advapi32's RtlGenRandom (SystemFunction036),
 * which Wine has. Built by .ci/run with mingw-w64; never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		len -= chunk;
	}
	return TRUE;
}
