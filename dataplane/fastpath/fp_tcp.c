/*
 * fp_tcp.c - IPVS's TCP state transition tables. Rows are picked by the
 * packet's most significant flag (RST beats SYN beats FIN beats ACK, as
 * IPVS's tcp_state_idx); columns are the current state.
 */
#include "fp_conn.h"
#include "fp_pkt.h"

enum { ROW_SYN, ROW_FIN, ROW_ACK, ROW_RST, NUM_ROWS };

#define NO FP_STATE_NONE
#define ES FP_STATE_ESTABLISHED
#define SS FP_STATE_SYN_SENT
#define SR FP_STATE_SYN_RECV
#define FW FP_STATE_FIN_WAIT
#define TW FP_STATE_TIME_WAIT
#define CL FP_STATE_CLOSE
#define CW FP_STATE_CLOSE_WAIT
#define LA FP_STATE_LAST_ACK
#define LI FP_STATE_LISTEN
#define SA FP_STATE_SYNACK

static const uint8_t tcp_states[3][NUM_ROWS][FP_NUM_TCP_STATES] = {
	[FP_TCP_INPUT] = {
		/*          NO  ES  SS  SR  FW  TW  CL  CW  LA  LI  SA */
		[ROW_SYN] = {SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR},
		[ROW_FIN] = {CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW},
		[ROW_ACK] = {CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES},
		[ROW_RST] = {CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR},
	},
	[FP_TCP_OUTPUT] = {
		[ROW_SYN] = {SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR},
		[ROW_FIN] = {TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW},
		[ROW_ACK] = {ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES},
		[ROW_RST] = {CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL},
	},
	[FP_TCP_INPUT_ONLY] = {
		[ROW_SYN] = {SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR},
		[ROW_FIN] = {CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW},
		[ROW_ACK] = {CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES},
		[ROW_RST] = {CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL},
	},
};

static int flag_row(uint8_t flags)
{
	if (flags & FP_TCP_RST)
		return ROW_RST;
	if (flags & FP_TCP_SYN)
		return ROW_SYN;
	if (flags & FP_TCP_FIN)
		return ROW_FIN;
	if (flags & FP_TCP_ACK)
		return ROW_ACK;
	return -1;
}

uint8_t fp_tcp_next(uint8_t cur, enum fp_tcp_table table, uint8_t flags)
{
	int row = flag_row(flags);

	if (row < 0 || cur >= FP_NUM_TCP_STATES || (unsigned)table > FP_TCP_INPUT_ONLY)
		return cur;
	return tcp_states[table][row][cur];
}
