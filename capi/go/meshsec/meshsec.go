// Package meshsec wraps libmeshsec's C ABI (capi/meshsec.h) for Go host
// chains. Build with cgo: CGO_CFLAGS=-I<dir of meshsec.h> and
// CGO_LDFLAGS="-L<dir of libmeshsec.so> -lmeshsec". Only the standard
// library is used.
//
// A Chain is driven by one goroutine at a time (the library is not
// thread-safe per chain). Close it when done.
package meshsec

/*
#include <stdint.h>
#include <stdlib.h>
#include "meshsec.h"

extern int goStoreGet(void*, uint8_t*, size_t, uint8_t**, size_t*, int*);
extern int goStoreSet(void*, uint8_t*, size_t, uint8_t*, size_t);
extern int goStoreDel(void*, uint8_t*, size_t);
extern int goStoreIterOpen(void*, uint8_t*, size_t, uint8_t*, size_t, int, uint64_t*);
extern int goStoreIterNext(void*, uint64_t, uint8_t**, size_t*, uint8_t**, size_t*, int*);
extern void goStoreIterClose(void*, uint64_t);

typedef int (*get_fn)(void*, const uint8_t*, size_t, uint8_t**, size_t*, int*);
typedef int (*set_fn)(void*, const uint8_t*, size_t, const uint8_t*, size_t);
typedef int (*del_fn)(void*, const uint8_t*, size_t);
typedef int (*open_fn)(void*, const uint8_t*, size_t, const uint8_t*, size_t, int, uint64_t*);

static meshsec_store meshsec_go_store(uintptr_t handle) {
  meshsec_store s;
  s.ctx = (void*)handle;
  s.get = (get_fn)goStoreGet;
  s.set = (set_fn)goStoreSet;
  s.del = (del_fn)goStoreDel;
  s.iter_open = (open_fn)goStoreIterOpen;
  s.iter_next = goStoreIterNext;
  s.iter_close = goStoreIterClose;
  return s;
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// Error is a non-zero status from the library: the absl::StatusCode number
// and its message.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("meshsec code %d: %s", e.Code, e.Message) }

// Packet is an IBC packet as the ABI's JSON carries it ([]byte is base64).
type Packet struct {
	Sequence           uint64 `json:"sequence"`
	SourcePort         string `json:"source_port"`
	SourceChannel      string `json:"source_channel"`
	DestinationPort    string `json:"destination_port"`
	DestinationChannel string `json:"destination_channel"`
	Data               []byte `json:"data"`
	TimeoutHeight      uint64 `json:"timeout_height"`
	TimeoutTimestampNs uint64 `json:"timeout_timestamp_ns"`
}

// ValidatorUpdate is one entry of EndBlock's result.
type ValidatorUpdate struct {
	PubKey []byte `json:"pub_key"`
	Power  uint64 `json:"power"`
}

// TxResult is the outcome of DeliverTx (code 0 = success).
type TxResult struct {
	Code uint32 `json:"code"`
	Log  string `json:"log"`
}

// Chain is an embedded meshsec chain.
type Chain struct {
	c      *C.meshsec_chain
	handle cgo.Handle
	cstore *C.meshsec_store
}

func status(rc C.int, err *C.char) error {
	if rc == 0 {
		return nil
	}
	msg := ""
	if err != nil {
		msg = C.GoString(err)
		C.meshsec_free(unsafe.Pointer(err))
	}
	return &Error{Code: int(rc), Message: msg}
}

func takeBuf(b C.meshsec_buf) []byte {
	if b.data == nil {
		return nil
	}
	out := C.GoBytes(unsafe.Pointer(b.data), C.int(b.len))
	C.meshsec_free(unsafe.Pointer(b.data))
	return out
}

// cbuf copies b into C memory; free with C.free.
func cbuf(b []byte) (*C.char, C.size_t) {
	if len(b) == 0 {
		return (*C.char)(C.malloc(1)), 0
	}
	return (*C.char)(C.CBytes(b)), C.size_t(len(b))
}

// Open opens a chain from its genesis JSON over the host's store.
func Open(genesis []byte, store Store) (*Chain, error) {
	h := cgo.NewHandle(&storeHandle{store: store, iters: map[uint64]*iterState{}})
	// The callbacks struct lives in C memory: the library keeps a copy.
	cs := (*C.meshsec_store)(C.malloc(C.size_t(unsafe.Sizeof(C.meshsec_store{}))))
	*cs = C.meshsec_go_store(C.uintptr_t(h))
	g, glen := cbuf(genesis)
	defer C.free(unsafe.Pointer(g))
	var chain *C.meshsec_chain
	var err *C.char
	if e := status(C.meshsec_chain_open(g, glen, cs, &chain, &err), err); e != nil {
		C.free(unsafe.Pointer(cs))
		h.Delete()
		return nil, e
	}
	return &Chain{c: chain, handle: h, cstore: cs}, nil
}

// Close releases the chain (the host's store is untouched).
func (c *Chain) Close() {
	if c.c != nil {
		C.meshsec_chain_close(c.c)
		c.c = nil
		C.free(unsafe.Pointer(c.cstore))
		c.handle.Delete()
	}
}

// Init writes and commits genesis state (no-op on an initialised store).
func (c *Chain) Init() error {
	var err *C.char
	return status(C.meshsec_chain_init(c.c, &err), err)
}

// RegisterConnection registers the connection to a counterparty and
// returns this chain's id for it ("connection-<n>").
func (c *Chain) RegisterConnection(counterpartyConnection string) (string, error) {
	cs := C.CString(counterpartyConnection)
	defer C.free(unsafe.Pointer(cs))
	var out C.meshsec_buf
	var err *C.char
	if e := status(C.meshsec_ibc_register_connection(c.c, cs, &out, &err), err); e != nil {
		return "", e
	}
	return string(takeBuf(out)), nil
}

// BeginBlock opens a block; req is marshalled to the ABI's JSON.
func (c *Chain) BeginBlock(req interface{}) error {
	j, e := json.Marshal(req)
	if e != nil {
		return e
	}
	p, n := cbuf(j)
	defer C.free(unsafe.Pointer(p))
	var err *C.char
	return status(C.meshsec_begin_block(c.c, p, n, &err), err)
}

// DeliverTx delivers signed tx bytes.
func (c *Chain) DeliverTx(tx []byte) (TxResult, error) {
	return runTx(tx, func(p *C.uint8_t, n C.size_t, out *C.meshsec_buf, err **C.char) C.int {
		return C.meshsec_deliver_tx(c.c, p, n, out, err)
	})
}

// CheckTx checks a signed tx (TxRaw bytes) for a mempool without writing
// anything; code 0 means it may be queued. The signature verdict of an
// accepted tx is kept, so its DeliverTx does not verify it again.
func (c *Chain) CheckTx(tx []byte) (TxResult, error) {
	return runTx(tx, func(p *C.uint8_t, n C.size_t, out *C.meshsec_buf, err **C.char) C.int {
		return C.meshsec_check_tx(c.c, p, n, out, err)
	})
}

// runTx hands tx bytes to `call` (a tx entry point of the C ABI) and
// decodes the result it returns.
func runTx(tx []byte, call func(*C.uint8_t, C.size_t, *C.meshsec_buf, **C.char) C.int) (TxResult, error) {
	p, n := cbuf(tx)
	defer C.free(unsafe.Pointer(p))
	var out C.meshsec_buf
	var err *C.char
	var r TxResult
	if e := status(call((*C.uint8_t)(unsafe.Pointer(p)), n, &out, &err), err); e != nil {
		return r, e
	}
	e := json.Unmarshal(takeBuf(out), &r)
	return r, e
}

// EndBlock ends the block and returns the validator updates.
func (c *Chain) EndBlock() ([]ValidatorUpdate, error) {
	var out C.meshsec_buf
	var err *C.char
	if e := status(C.meshsec_end_block(c.c, &out, &err), err); e != nil {
		return nil, e
	}
	var u []ValidatorUpdate
	e := json.Unmarshal(takeBuf(out), &u)
	return u, e
}

// Commit commits the block and returns the app hash.
func (c *Chain) Commit() ([]byte, error) {
	var out C.meshsec_buf
	var err *C.char
	if e := status(C.meshsec_commit(c.c, &out, &err), err); e != nil {
		return nil, e
	}
	return takeBuf(out), nil
}

// Query runs a query; req and resp are marshalled to/from JSON.
func (c *Chain) Query(path string, req interface{}, resp interface{}) error {
	j, e := json.Marshal(req)
	if e != nil {
		return e
	}
	raw, e := c.QueryRaw(path, j)
	if e != nil {
		return e
	}
	return json.Unmarshal(raw, resp)
}

// QueryRaw runs a query with JSON text in and out.
func (c *Chain) QueryRaw(path string, req []byte) ([]byte, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	p, n := cbuf(req)
	defer C.free(unsafe.Pointer(p))
	var out C.meshsec_buf
	var err *C.char
	if e := status(C.meshsec_query(c.c, cp, p, n, &out, &err), err); e != nil {
		return nil, e
	}
	return takeBuf(out), nil
}

type jsonCall func(*C.meshsec_chain, *C.char, C.size_t, *C.meshsec_buf, **C.char) C.int

func (c *Chain) call(fn jsonCall, req interface{}, resp interface{}) error {
	j, e := json.Marshal(req)
	if e != nil {
		return e
	}
	p, n := cbuf(j)
	defer C.free(unsafe.Pointer(p))
	var out C.meshsec_buf
	var err *C.char
	if e := status(fn(c.c, p, n, &out, &err), err); e != nil {
		return e
	}
	return json.Unmarshal(takeBuf(out), resp)
}

// ChannelResult is what the init and try handshake steps return.
type ChannelResult struct {
	Channel string `json:"channel"`
	Version string `json:"version"`
}

// ChanOpenInit .. ChanOpenConfirm: the channel handshake steps (JSON shapes
// in docs/embedding.md).
func (c *Chain) ChanOpenInit(req interface{}) (ChannelResult, error) {
	var r ChannelResult
	err := c.call(func(ch *C.meshsec_chain, p *C.char, n C.size_t, o *C.meshsec_buf, e **C.char) C.int {
		return C.meshsec_ibc_chan_open_init(ch, p, n, o, e)
	}, req, &r)
	return r, err
}

func (c *Chain) ChanOpenTry(req interface{}) (ChannelResult, error) {
	var r ChannelResult
	err := c.call(func(ch *C.meshsec_chain, p *C.char, n C.size_t, o *C.meshsec_buf, e **C.char) C.int {
		return C.meshsec_ibc_chan_open_try(ch, p, n, o, e)
	}, req, &r)
	return r, err
}

func (c *Chain) ChanOpenAck(req interface{}) error {
	var r struct{}
	return c.call(func(ch *C.meshsec_chain, p *C.char, n C.size_t, o *C.meshsec_buf, e **C.char) C.int {
		return C.meshsec_ibc_chan_open_ack(ch, p, n, o, e)
	}, req, &r)
}

func (c *Chain) ChanOpenConfirm(req interface{}) error {
	var r struct{}
	return c.call(func(ch *C.meshsec_chain, p *C.char, n C.size_t, o *C.meshsec_buf, e **C.char) C.int {
		return C.meshsec_ibc_chan_open_confirm(ch, p, n, o, e)
	}, req, &r)
}

// ChanCloseInit and ChanCloseConfirm close a channel end ({"port","channel"}).
func (c *Chain) ChanCloseInit(req interface{}) error {
	var r struct{}
	return c.call(func(ch *C.meshsec_chain, p *C.char, n C.size_t, o *C.meshsec_buf, e **C.char) C.int {
		return C.meshsec_ibc_chan_close_init(ch, p, n, o, e)
	}, req, &r)
}

func (c *Chain) ChanCloseConfirm(req interface{}) error {
	var r struct{}
	return c.call(func(ch *C.meshsec_chain, p *C.char, n C.size_t, o *C.meshsec_buf, e **C.char) C.int {
		return C.meshsec_ibc_chan_close_confirm(ch, p, n, o, e)
	}, req, &r)
}

// TimeoutOnClose times out a packet whose destination end is closed.
func (c *Chain) TimeoutOnClose(pk Packet) error {
	j, e := json.Marshal(pk)
	if e != nil {
		return e
	}
	p, n := cbuf(j)
	defer C.free(unsafe.Pointer(p))
	var err *C.char
	return status(C.meshsec_ibc_timeout_on_close(c.c, p, n, &err), err)
}

// RecvPacket hands in a packet the counterparty committed; returns the ack
// to relay back (nil for a redundant relay).
func (c *Chain) RecvPacket(pk Packet) ([]byte, error) {
	j, e := json.Marshal(pk)
	if e != nil {
		return nil, e
	}
	p, n := cbuf(j)
	defer C.free(unsafe.Pointer(p))
	var out C.meshsec_buf
	var err *C.char
	if e := status(C.meshsec_ibc_recv_packet(c.c, p, n, &out, &err), err); e != nil {
		return nil, e
	}
	return takeBuf(out), nil
}

// Acknowledge hands in the counterparty's ack of a packet this chain sent.
func (c *Chain) Acknowledge(pk Packet, ack []byte) error {
	j, e := json.Marshal(pk)
	if e != nil {
		return e
	}
	p, n := cbuf(j)
	defer C.free(unsafe.Pointer(p))
	a, alen := cbuf(ack)
	defer C.free(unsafe.Pointer(a))
	var err *C.char
	return status(C.meshsec_ibc_acknowledge(c.c, p, n, (*C.uint8_t)(unsafe.Pointer(a)), alen, &err), err)
}

// Timeout times out a packet this chain sent, the counterparty being at
// (height, timeNs) without having received it.
func (c *Chain) Timeout(pk Packet, height, timeNs uint64) error {
	j, e := json.Marshal(pk)
	if e != nil {
		return e
	}
	p, n := cbuf(j)
	defer C.free(unsafe.Pointer(p))
	var err *C.char
	return status(C.meshsec_ibc_timeout(c.c, p, n, C.uint64_t(height), C.uint64_t(timeNs), &err), err)
}

// TakeOutgoing returns the committed packets not handed out before.
func (c *Chain) TakeOutgoing() ([]Packet, error) {
	var out C.meshsec_buf
	var err *C.char
	if e := status(C.meshsec_ibc_take_outgoing(c.c, &out, &err), err); e != nil {
		return nil, e
	}
	var ps []Packet
	e := json.Unmarshal(takeBuf(out), &ps)
	return ps, e
}

// DevnetGenesis builds a devnet genesis document for chainID among ids.
func DevnetGenesis(ids []string, chainID string, genesisTimeNs uint64) ([]byte, error) {
	j, e := json.Marshal(ids)
	if e != nil {
		return nil, e
	}
	cj := C.CString(string(j))
	defer C.free(unsafe.Pointer(cj))
	cid := C.CString(chainID)
	defer C.free(unsafe.Pointer(cid))
	var out C.meshsec_buf
	var err *C.char
	if e := status(C.meshsec_devnet_genesis(cj, cid, C.uint64_t(genesisTimeNs), &out, &err), err); e != nil {
		return nil, e
	}
	return takeBuf(out), nil
}

// DemoAccount is a seed-derived demo key's addresses.
type DemoAccount struct {
	Address string `json:"address"`
	Valoper string `json:"valoper"`
	PubKey  []byte `json:"pubkey"`
}

// Demo returns the demo account of seed ("<chain>/<name>") under prefix.
func Demo(seed, prefix string) (DemoAccount, error) {
	cs := C.CString(seed)
	defer C.free(unsafe.Pointer(cs))
	cp := C.CString(prefix)
	defer C.free(unsafe.Pointer(cp))
	var out C.meshsec_buf
	var err *C.char
	var a DemoAccount
	if e := status(C.meshsec_demo_account(cs, cp, &out, &err), err); e != nil {
		return a, e
	}
	e := json.Unmarshal(takeBuf(out), &a)
	return a, e
}

// Msg is one message of a tx in the protobuf JSON mapping, with "@type"
// (e.g. {"@type":"/meshsec.v1.MsgVaultBond","amount":"10"}).
type Msg = json.RawMessage

// SignTx signs a Cosmos SDK tx (SIGN_MODE_DIRECT) with the seed-derived demo
// key; returns the TxRaw bytes. accountNumber and sequence come from the
// "auth/account" query; with a non-empty prefix, each message's empty signer
// field (sender, authority, ...) is set to the key's address.
func SignTx(seed, chainID, prefix string, accountNumber, sequence uint64, msgs []Msg) ([]byte, error) {
	j, e := json.Marshal(struct {
		ChainID       string `json:"chain_id"`
		Bech32Prefix  string `json:"bech32_prefix,omitempty"`
		AccountNumber uint64 `json:"account_number"`
		Sequence      uint64 `json:"sequence"`
		Msgs          []Msg  `json:"msgs"`
	}{chainID, prefix, accountNumber, sequence, msgs})
	if e != nil {
		return nil, e
	}
	cs := C.CString(seed)
	defer C.free(unsafe.Pointer(cs))
	p, n := cbuf(j)
	defer C.free(unsafe.Pointer(p))
	var out C.meshsec_buf
	var err *C.char
	if e := status(C.meshsec_sign_tx(cs, p, n, &out, &err), err); e != nil {
		return nil, e
	}
	return takeBuf(out), nil
}
