/*
 * The lcore trampoline lives in its own C file: it calls the //export'ed Go
 * function, and Go files with //export may only declare, not define, C.
 */
#include "govs_dpdk.h"
#include "_cgo_export.h"

static int govs_lcore_main(void *arg)
{
	return govsLcoreEntry((uintptr_t)arg);
}

/* The cgo.Handle travels as the lcore function's argument. */
int govs_remote_launch(uintptr_t handle, unsigned lcore)
{
	return rte_eal_remote_launch(govs_lcore_main, (void *)handle, lcore);
}
