/*
 * sim.h - a partner played over SFTP, for tests and the demo: "offsetgw
 * sim taxboard|treasury|payer".
 *
 * Owns one round of a tax board's or treasury's side of the exchange,
 * through the gateway's own SFTP server with libssh's client: log in with
 * the partner's key (the server's host key pinned on first use in the
 * simulator's folder), download every file the gateway left in /outbox,
 * remove it there (picked up), answer each debt file with a match file
 * and a collection file made by synth_replies_files(), and upload the
 * answers to /inbox, each under a temporary name then renamed, so the
 * gateway takes each exactly once.  A payer answers nothing: it picks
 * up its offset instructions and releases, and uploads the payment file
 * it is given (made by `offsetgw synth payments`, which needs the
 * registry a real payer would not see: a simulator's shortcut).  The
 * simulator's folder keeps what it downloaded (in/) and what it sent
 * (out/).
 */
#ifndef OFFSETGW_SIM_H
#define OFFSETGW_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "offsetgw/synth.h"

struct sim_options {
    const char *dir;  /* the simulator's folder (made if missing) */
    const char *host; /* 127.0.0.1 */
    unsigned port;
    const char *user;     /* the partner's name at the gateway */
    const char *key_path; /* its private key */
    const char *programs_dir;
    const char *program;                /* whose layouts: caltrecs, top */
    struct synth_reply_options replies; /* shares, seed, partner code */
    bool answer;        /* answer debt files (a tax board, a treasury) */
    const char *upload; /* a file to upload as it is (a payer's); NULL */
};

struct sim_result {
    int downloaded; /* files picked up from /outbox */
    int answered;   /* debt files answered */
    int uploaded;   /* files put in /inbox */
};

/* One round.  0 with RES, or negative with ERR (a host key that is not
 * the one pinned is -EPERM). */
int sim_round(const struct sim_options *o, struct sim_result *res, char *err,
              size_t err_size);

#endif
