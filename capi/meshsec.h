/* libmeshsec: the C ABI through which a host chain (e.g. a Cosmos SDK chain
 * written in Go, through cgo) embeds a meshsec chain, the way CosmWasm's VM
 * is embedded (docs/embedding.md has the full contract and JSON shapes).
 *
 * The host provides:
 *   - the key-value store (meshsec_store callbacks over its own store);
 *   - the block inputs (begin_block JSON: time, last-commit votes,
 *     misbehaviour evidence), the transactions, end_block and commit;
 *   - IBC: its own IBC stack checks proofs; it hands in received packets,
 *     acknowledgements and timeouts through the trusted entry points below
 *     and takes the chain's outgoing packets out to relay them.
 *
 * Errors: every function returns an int status: 0 = OK, otherwise the
 * absl::StatusCode number (3 invalid argument, 5 not found, 9 failed
 * precondition, 13 internal, ...). On error, when `err` is not NULL, *err
 * receives a NUL-terminated message allocated by the library (free it with
 * meshsec_free); on success *err is set to NULL. No C++ exception and no
 * abort crosses this boundary; NULL pointers are reported as code 3.
 *
 * Memory: every buffer the library returns (meshsec_buf.data, *err) is
 * allocated by the library and freed by the caller with meshsec_free.
 * Buffers the host returns from store callbacks (values, keys) must be
 * allocated with malloc(); the library takes ownership and free()s them.
 * Input buffers are (pointer, length) pairs, only read during the call.
 *
 * Threading: a meshsec_chain is driven by one thread at a time (calls on
 * one chain must not overlap); different chains are independent. Store
 * callbacks run on the calling thread, inside the call.
 *
 * C99; no C++ types. */
#ifndef MESHSEC_CAPI_MESHSEC_H_
#define MESHSEC_CAPI_MESHSEC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The exported functions (the library is built with hidden visibility). */
#if defined(__GNUC__) || defined(__clang__)
#define MESHSEC_API __attribute__((visibility("default")))
#else
#define MESHSEC_API
#endif

#define MESHSEC_OK 0
#define MESHSEC_INVALID_ARGUMENT 3
#define MESHSEC_NOT_FOUND 5
#define MESHSEC_FAILED_PRECONDITION 9
#define MESHSEC_INTERNAL 13

/* A byte buffer returned by the library (data is NUL-terminated as a
 * convenience; len excludes the NUL). Free data with meshsec_free. */
typedef struct meshsec_buf {
  uint8_t* data;
  size_t len;
} meshsec_buf;

/* The host's key-value store. Every callback returns 0 on success or a
 * status code (1..16, e.g. 13 internal / 15 data loss; anything else is
 * reported as 13), which the library propagates as the call's status.
 * Keys and values are arbitrary bytes; iteration is in ascending (or, with
 * reverse != 0, descending) unsigned byte order of keys.
 *
 * Atomicity: meshsec_commit applies the whole block as a sequence of
 * set/del calls. A crash in the middle leaves a partial block unless the
 * host makes them atomic: apply them inside its own store transaction (a
 * Cosmos SDK host runs the calls on a cache-multistore branch and writes it
 * when its own block commits). */
typedef struct meshsec_store {
  void* ctx;
  /* *found = 0 when absent. When found, *val (malloc'd, may be NULL for an
   * empty value) and *val_len receive the value. */
  int (*get)(void* ctx, const uint8_t* key, size_t key_len, uint8_t** val, size_t* val_len,
             int* found);
  int (*set)(void* ctx, const uint8_t* key, size_t key_len, const uint8_t* val, size_t val_len);
  int (*del)(void* ctx, const uint8_t* key, size_t key_len);
  /* Keys in [begin, end); end_len == 0 means unbounded. *iter receives a
   * host-chosen iterator id. The store is not written while it is open. */
  int (*iter_open)(void* ctx, const uint8_t* begin, size_t begin_len, const uint8_t* end,
                   size_t end_len, int reverse, uint64_t* iter);
  /* Next entry: *valid = 0 at the end; otherwise *key and *val (malloc'd)
   * receive it. */
  int (*iter_next)(void* ctx, uint64_t iter, uint8_t** key, size_t* key_len, uint8_t** val,
                   size_t* val_len, int* valid);
  void (*iter_close)(void* ctx, uint64_t iter);
} meshsec_store;

typedef struct meshsec_chain meshsec_chain;

/* Frees a buffer or message the library allocated. NULL is a no-op. */
MESHSEC_API void meshsec_free(void* p);
/* The library version ("0.1.0"), static storage. */
MESHSEC_API const char* meshsec_version(void);

/* ---- lifecycle ---- */

/* Opens a chain from its genesis document (docs/application.md) over the
 * host's store: a fresh store starts at height 0, an existing one resumes.
 * The store callbacks (and ctx) must stay valid until meshsec_chain_close.
 * Register the links' IBC connections next, then meshsec_chain_init. */
MESHSEC_API int meshsec_chain_open(const char* genesis_json, size_t genesis_len,
                                   const meshsec_store* store, meshsec_chain** chain, char** err);
/* Writes and commits the genesis state (height 0); a no-op on a store that
 * already holds the chain. */
MESHSEC_API int meshsec_chain_init(meshsec_chain* chain, char** err);
/* Destroys the handle (the host's store is not touched). NULL is a no-op. */
MESHSEC_API void meshsec_chain_close(meshsec_chain* chain);

/* ---- blocks (ABCI-shaped) ---- */

/* Opens a block. request JSON:
 *   {"time_ns":N, "all_signed":true | "votes":[{"validator_address":"<hex>",
 *    "power":N,"signed":true}], "misbehavior":[{"type":"duplicate_vote",
 *    "validator_address":"<hex>","power":N,"height":N,"time_ns":N}]}
 * (validator_address: the 20-byte consensus address in hex). */
MESHSEC_API int meshsec_begin_block(meshsec_chain* chain, const char* request_json,
                                    size_t request_len, char** err);
/* Delivers a signed tx (cosmos.tx.v1beta1.TxRaw bytes). Returns 0 when the
 * tx was processed, whether or not it succeeded; *result =
 * {"code":N,"codespace":"","log":"...","gas_wanted":N,"gas_used":N,
 *  "events":[{"type":"","attributes":[{"key":"","value":""}]}]}
 * (codespace "sdk" for tx-level failures, docs/transactions.md). */
MESHSEC_API int meshsec_deliver_tx(meshsec_chain* chain, const uint8_t* tx, size_t tx_len,
                                   meshsec_buf* result_json, char** err);
/* The SDK's CheckTx for a mempool (TxRaw bytes): decoding, account, fee,
 * sequence and signature against the current state; nothing is written.
 * Returns 0 when the tx was checked; *result as meshsec_deliver_tx's (code 0:
 * the tx may enter the mempool). The signature verdict of an accepted tx is
 * kept (by the tx's bytes, bounded): its meshsec_deliver_tx does not verify
 * it again. Needs no open block. */
MESHSEC_API int meshsec_check_tx(meshsec_chain* chain, const uint8_t* tx, size_t tx_len,
                                 meshsec_buf* result_json, char** err);
/* *updates = [{"pub_key":"<base64 ed25519>","power":N}, ...]. */
MESHSEC_API int meshsec_end_block(meshsec_chain* chain, meshsec_buf* updates_json, char** err);
/* Writes the block through the store callbacks; *app_hash = 32 bytes. */
MESHSEC_API int meshsec_commit(meshsec_chain* chain, meshsec_buf* app_hash, char** err);

/* Read-only query of the current state (the open block's, when one is open).
 * Paths: "chain/info", "auth/account", "bank/balance", "staking/validator",
 * "staking/validators", "staking/delegation", "vault/account",
 * "external/stake", "consumer/bond_request", "ibc/channels"
 * (docs/embedding.md). Unknown path: 5. */
MESHSEC_API int meshsec_query(meshsec_chain* chain, const char* path, const char* request_json,
                              size_t request_len, meshsec_buf* response_json, char** err);

/* ---- IBC (trusted entry points: the host's IBC stack verified the proofs) ----
 * Packets are JSON: {"sequence":N,"source_port":"","source_channel":"",
 * "destination_port":"","destination_channel":"","data":"<base64>",
 * "timeout_height":N,"timeout_timestamp_ns":N}.
 * Packet and handshake calls need an open block (between begin_block and
 * end_block); they are atomic: on error nothing is written. */

/* Registers the connection to a counterparty chain; *connection_id =
 * "connection-<n>" in registration order (the ids the genesis links name).
 * Call after open, before init; again at every open (configuration). */
MESHSEC_API int meshsec_ibc_register_connection(meshsec_chain* chain,
                                                const char* counterparty_connection_id,
                                                meshsec_buf* connection_id, char** err);
/* Channel handshake steps, driven by the host's relayer. JSON in/out:
 *  init:    {"port","connection","counterparty_port","order":"unordered","version"}
 *           -> {"channel","version"}
 *  try:     {"port","connection","counterparty_port","counterparty_channel","order",
 *            "counterparty_version"} -> {"channel","version"}
 *  ack:     {"port","channel","counterparty_channel","counterparty_version"} -> {}
 *  confirm: {"port","channel"} -> {}
 * Each step trusts that the counterparty end is in the state the step
 * requires (INIT for try, TRYOPEN for ack, OPEN for confirm). */
MESHSEC_API int meshsec_ibc_chan_open_init(meshsec_chain* chain, const char* json, size_t len,
                                           meshsec_buf* out, char** err);
MESHSEC_API int meshsec_ibc_chan_open_try(meshsec_chain* chain, const char* json, size_t len,
                                          meshsec_buf* out, char** err);
MESHSEC_API int meshsec_ibc_chan_open_ack(meshsec_chain* chain, const char* json, size_t len,
                                          meshsec_buf* out, char** err);
MESHSEC_API int meshsec_ibc_chan_open_confirm(meshsec_chain* chain, const char* json, size_t len,
                                              meshsec_buf* out, char** err);
/* Channel closing: {"port","channel"} -> {}. close_confirm trusts that the
 * counterparty end is CLOSED. (The mesh provider refuses close_confirm,
 * code 9; the mesh applications' rules apply as for any relayer.) */
MESHSEC_API int meshsec_ibc_chan_close_init(meshsec_chain* chain, const char* json, size_t len,
                                            meshsec_buf* out, char** err);
MESHSEC_API int meshsec_ibc_chan_close_confirm(meshsec_chain* chain, const char* json, size_t len,
                                               meshsec_buf* out, char** err);
/* Receives a packet committed on the counterparty. *ack = the
 * acknowledgement bytes to relay back (empty for a redundant relay). An
 * application error is an error acknowledgement, not an error status. */
MESHSEC_API int meshsec_ibc_recv_packet(meshsec_chain* chain, const char* packet_json,
                                        size_t packet_len, meshsec_buf* ack, char** err);
/* Processes the counterparty's acknowledgement of a packet this chain sent. */
MESHSEC_API int meshsec_ibc_acknowledge(meshsec_chain* chain, const char* packet_json,
                                        size_t packet_len, const uint8_t* ack, size_t ack_len,
                                        char** err);
/* Times out a packet this chain sent: the host attests that the
 * counterparty reached (height, time_ns) without receiving it. Refused (9)
 * unless that passes the packet's timeout. */
MESHSEC_API int meshsec_ibc_timeout(meshsec_chain* chain, const char* packet_json,
                                    size_t packet_len, uint64_t counterparty_height,
                                    uint64_t counterparty_time_ns, char** err);
/* Times out a packet this chain sent because the counterparty closed its
 * channel end: the host attests that end is CLOSED and did not receive it. */
MESHSEC_API int meshsec_ibc_timeout_on_close(meshsec_chain* chain, const char* packet_json,
                                             size_t packet_len, char** err);
/* The committed packets this chain sent that were not handed out before
 * (neither acknowledged nor timed out): a JSON array of packets. Call with
 * no block open (after commit). After a reopen every unsettled packet is
 * handed out again; relaying twice is harmless (a redundant receive). */
MESHSEC_API int meshsec_ibc_take_outgoing(meshsec_chain* chain, meshsec_buf* packets_json,
                                          char** err);

/* ---- helpers for hosts and tests (demo keys; not for production keys) ---- */

/* A devnet genesis document for `chain_id` among chain_ids_json (a JSON
 * array of ids): demo accounts alice/bob/carol/gov/oracle funded,
 * validators val0..val2, every other chain both provider and consumer
 * (app::Devnet::MeshGenesis). 12 (unimplemented) when built without it. */
MESHSEC_API int meshsec_devnet_genesis(const char* chain_ids_json, const char* chain_id,
                                       uint64_t genesis_time_ns, meshsec_buf* genesis_json,
                                       char** err);
/* The demo account of a key seed ("<chain>/<name>") under a bech32 prefix:
 * {"address","valoper","pubkey":"<base64 33 bytes>"}. */
MESHSEC_API int meshsec_demo_account(const char* seed, const char* prefix, meshsec_buf* json,
                                     char** err);
/* Signs a Cosmos SDK tx (SIGN_MODE_DIRECT) with the seed-derived demo key.
 * tx JSON:
 *   {"chain_id":"","account_number":N,"sequence":N,
 *    "msgs":[{"@type":"/meshsec.v1.MsgVaultBond","sender":"..","amount":"10"}],
 *    "fee":[{"denom":"","amount":""}]?,"gas_limit":N?,"memo":""?,
 *    "bech32_prefix":""?}
 * (messages in the protobuf JSON mapping; account_number and sequence from
 * the "auth/account" query; with bech32_prefix, a message's empty signer
 * field — sender, authority, from_address, delegator_address — is set to
 * the key's address under that prefix). *tx = the TxRaw bytes for meshsec_deliver_tx. */
MESHSEC_API int meshsec_sign_tx(const char* seed, const char* tx_json, size_t tx_len,
                                meshsec_buf* tx, char** err);

#ifdef __cplusplus
}
#endif

#endif /* MESHSEC_CAPI_MESHSEC_H_ */
