// gohost: a Go host chain embedding two meshsec chains through libmeshsec's
// C ABI. It plays the Cosmos SDK side: it owns the stores (map-backed),
// produces the blocks, and its "IBC stack" relays packets and acks between
// the two embedded chains. Scenario: open the mesh channels, stake from the
// provider (chaina) to a consumer validator (chainb), check the stake is
// committed on both sides, then have that validator double sign on the
// consumer and check the provider cut the stake.
//
// Prints "go host: N passed, M failed"; exits 1 on any failure.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"meshsec.local/capi/meshsec"
)

const (
	genesisTime = uint64(1700000000) * 1000000000
	blockNs     = uint64(5) * 1000000000
	provider    = "chaina"
	consumer    = "chainb"
	stakeAmount = "1000000"
)

var passed, failed int

func check(ok bool, name string, format string, args ...interface{}) {
	detail := fmt.Sprintf(format, args...)
	if ok {
		passed++
		fmt.Printf("ok   %s: %s\n", name, detail)
	} else {
		failed++
		fmt.Printf("FAIL %s: %s\n", name, detail)
	}
}

func must(err error, what string) {
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", what, err)
		fmt.Printf("go host: %d passed, %d failed\n", passed, failed+1)
		os.Exit(1)
	}
}

// node is one embedded chain with the host's state about it.
type node struct {
	id     string
	chain  *meshsec.Chain
	store  *meshsec.MapStore
	timeNs uint64
	height uint64
	inbox  []meshsec.Packet // packets to receive
	acks   []ackIn          // acks of packets it sent
	last   []meshsec.ValidatorUpdate
}

type ackIn struct {
	packet meshsec.Packet
	ack    []byte
}

type host struct {
	nodes map[string]*node
}

type misbehavior struct {
	Type             string `json:"type"`
	ValidatorAddress string `json:"validator_address"`
	Power            uint64 `json:"power"`
	Height           uint64 `json:"height"`
	TimeNs           uint64 `json:"time_ns"`
}

type blockRequest struct {
	TimeNs      uint64        `json:"time_ns"`
	AllSigned   bool          `json:"all_signed"`
	Misbehavior []misbehavior `json:"misbehavior,omitempty"`
}

func (h *host) other(id string) *node {
	for k, n := range h.nodes {
		if k != id {
			return n
		}
	}
	return nil
}

// onConsumersWord turns off require_verified_evidence on every provider
// link of a genesis document: this host has no watcher submitting the
// double-vote evidence, so the consumer's double-sign report is applied on
// its word (the reference's behaviour, docs/compatibility.md P-38).
func onConsumersWord(g []byte) []byte {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(g))
	dec.UseNumber() // keeps 64-bit integers (times in ns) exact
	must(dec.Decode(&doc), "genesis json")
	if p, ok := doc["provider"].(map[string]any); ok {
		if links, ok := p["consumers"].([]any); ok {
			for _, l := range links {
				if m, ok := l.(map[string]any); ok {
					m["require_verified_evidence"] = false
				}
			}
		}
	}
	out, err := json.Marshal(doc)
	must(err, "genesis json")
	return out
}

func openNode(id string) *node {
	g, err := meshsec.DevnetGenesis([]string{provider, consumer}, id, genesisTime)
	must(err, "devnet genesis "+id)
	g = onConsumersWord(g)
	n := &node{id: id, store: meshsec.NewMapStore(), timeNs: genesisTime}
	n.chain, err = meshsec.Open(g, n.store)
	must(err, "open "+id)
	// Two chains: each has one connection, "connection-0" on both ends.
	conn, err := n.chain.RegisterConnection("connection-0")
	must(err, "register connection "+id)
	check(conn == "connection-0", "connection", "%s registered %s", id, conn)
	must(n.chain.Init(), "init "+id)
	check(n.store.Len() > 0, "genesis", "%s genesis committed through the Go store (%d keys)", id, n.store.Len())
	return n
}

func (n *node) begin(mis []misbehavior) {
	n.timeNs += blockNs
	must(n.chain.BeginBlock(blockRequest{TimeNs: n.timeNs, AllSigned: true, Misbehavior: mis}),
		"begin block "+n.id)
	n.height++
}

func (h *host) finish(n *node) {
	var err error
	n.last, err = n.chain.EndBlock()
	must(err, "end block "+n.id)
	_, err = n.chain.Commit()
	must(err, "commit "+n.id)
	out, err := n.chain.TakeOutgoing()
	must(err, "take outgoing "+n.id)
	dest := h.other(n.id)
	dest.inbox = append(dest.inbox, out...)
}

// produce makes one block on n: relayed packets and acks first, then txs.
func (h *host) produce(n *node, txs [][]byte, mis []misbehavior) []meshsec.TxResult {
	n.begin(mis)
	src := h.other(n.id)
	for _, p := range n.inbox {
		ack, err := n.chain.RecvPacket(p)
		must(err, "recv packet on "+n.id)
		if ack != nil {
			src.acks = append(src.acks, ackIn{p, ack})
		}
	}
	n.inbox = nil
	for _, a := range n.acks {
		must(n.chain.Acknowledge(a.packet, a.ack), "acknowledge on "+n.id)
	}
	n.acks = nil
	var results []meshsec.TxResult
	for _, tx := range txs {
		// As a node's mempool does: the tx is checked when it arrives (its
		// signature verdict is kept), then delivered in the block.
		c, err := n.chain.CheckTx(tx)
		must(err, "check tx on "+n.id)
		if c.Code != 0 {
			fmt.Fprintf(os.Stderr, "gohost: check tx on %s: code %d %s\n", n.id, c.Code, c.Log)
			os.Exit(1)
		}
		r, err := n.chain.DeliverTx(tx)
		must(err, "deliver tx on "+n.id)
		results = append(results, r)
	}
	h.finish(n)
	return results
}

func (h *host) round(blocks int) {
	for i := 0; i < blocks; i++ {
		h.produce(h.nodes[provider], nil, nil)
		h.produce(h.nodes[consumer], nil, nil)
	}
}

// openChannel runs the handshake the host's IBC stack drives: INIT on the
// consumer's port, TRY on the provider's, ACK, CONFIRM, in one block each.
func (h *host) openChannel(cons, prov *node) {
	init, err := cons.chain.ChanOpenInit(map[string]string{
		"port": "mesh-consumer", "connection": "connection-0",
		"counterparty_port": "mesh-provider", "order": "unordered", "version": ""})
	must(err, "chan open init on "+cons.id)
	try, err := prov.chain.ChanOpenTry(map[string]string{
		"port": "mesh-provider", "connection": "connection-0",
		"counterparty_port": "mesh-consumer", "counterparty_channel": init.Channel,
		"order": "unordered", "counterparty_version": init.Version})
	must(err, "chan open try on "+prov.id)
	must(cons.chain.ChanOpenAck(map[string]string{
		"port": "mesh-consumer", "channel": init.Channel,
		"counterparty_channel": try.Channel, "counterparty_version": try.Version}),
		"chan open ack on "+cons.id)
	must(prov.chain.ChanOpenConfirm(map[string]string{"port": "mesh-provider", "channel": try.Channel}),
		"chan open confirm on "+prov.id)
}

type channelInfo struct {
	Port  string `json:"port"`
	State string `json:"state"`
}

func openCount(n *node) int {
	var chans []channelInfo
	must(n.chain.Query("ibc/channels", map[string]string{}, &chans), "query channels")
	c := 0
	for _, ch := range chans {
		if ch.State == "OPEN" {
			c++
		}
	}
	return c
}

type rangeJSON struct {
	Low  string `json:"low"`
	High string `json:"high"`
}

type stakeJSON struct {
	Stake rangeJSON `json:"stake"`
}

type validatorJSON struct {
	OperatorAddress  string `json:"operator_address"`
	Jailed           bool   `json:"jailed"`
	Tombstoned       bool   `json:"tombstoned"`
	Power            uint64 `json:"power"`
	ConsensusPubkey  string `json:"consensus_pubkey"`
	ConsensusAddress string `json:"consensus_address"`
}

// brokenStore fails every read, as a host store with an I/O error would.
type brokenStore struct{ *meshsec.MapStore }

func (brokenStore) Get([]byte) ([]byte, bool, error) { return nil, false, errors.New("disk gone") }

func less(a, b string) bool { // decimal strings without leading zeros
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func main() {
	h := &host{nodes: map[string]*node{}}
	a := openNode(provider)
	b := openNode(consumer)
	h.nodes[provider], h.nodes[consumer] = a, b
	defer a.chain.Close()
	defer b.chain.Close()

	// Handshake block on both chains: both directions of the full mesh.
	a.begin(nil)
	b.begin(nil)
	h.openChannel(b, a) // chainb consumes from chaina
	h.openChannel(a, b) // chaina consumes from chainb
	h.finish(a)
	h.finish(b)
	check(openCount(a) == 2 && openCount(b) == 2, "channels", "mesh channels OPEN on both chains")

	// Bad input crosses the boundary as a code and a message.
	_, err := a.chain.QueryRaw("bank/balance", []byte("{"))
	e, isErr := err.(*meshsec.Error)
	check(isErr && e.Code == 3 && e.Message != "", "errors", "bad JSON -> code 3 (%v)", err)

	// A host store error comes back as the callback's code with a message.
	g, err := meshsec.DevnetGenesis([]string{provider, consumer}, provider, genesisTime)
	must(err, "genesis")
	_, err = meshsec.Open(g, brokenStore{meshsec.NewMapStore()})
	e, isErr = err.(*meshsec.Error)
	check(isErr && e.Code == 13 && strings.Contains(e.Message, "host store"), "store error",
		"failing Get -> code 13 (%v)", err)

	// The stake: alice bonds on chaina and stakes remotely on chainb's val0.
	alice, err := meshsec.Demo(provider+"/alice", provider)
	must(err, "demo alice")
	val0, err := meshsec.Demo(consumer+"/val0", consumer)
	must(err, "demo val0")
	var account struct {
		AccountNumber uint64 `json:"account_number"`
		Sequence      uint64 `json:"sequence"`
	}
	must(a.chain.Query("auth/account", map[string]string{"address": alice.Address}, &account),
		"account")
	tx, err := meshsec.SignTx(provider+"/alice", provider, provider, account.AccountNumber,
		account.Sequence, []meshsec.Msg{
			meshsec.Msg(fmt.Sprintf(`{"@type":"/meshsec.v1.MsgVaultBond","amount":"%s"}`, stakeAmount)),
			meshsec.Msg(fmt.Sprintf(
				`{"@type":"/meshsec.v1.MsgVaultStakeRemote","consumer":"%s","validator":"%s","amount":"%s"}`,
				consumer, val0.Valoper, stakeAmount)),
		})
	must(err, "sign tx")
	before := len(b.inbox)
	res := h.produce(a, [][]byte{tx}, nil)
	check(len(res) == 1 && res[0].Code == 0, "stake tx", "vault/bond + vault/stake_remote: %+v", res)
	check(len(b.inbox) == before+1 && b.inbox[before].SourcePort == "mesh-provider", "relay",
		"the stake packet was taken out of chaina for chainb (seq %d)", b.inbox[len(b.inbox)-1].Sequence)

	var pending stakeJSON
	must(a.chain.Query("external/stake", map[string]string{
		"consumer": consumer, "user": alice.Address, "validator": val0.Valoper}, &pending), "stake")
	check(pending.Stake.Low == "0" && pending.Stake.High == stakeAmount, "in flight",
		"provider stake is a range while the packet is in flight: %+v", pending.Stake)

	// chainb receives, chaina gets the ack: the stake is committed.
	h.produce(b, nil, nil)
	h.produce(a, nil, nil)
	var committed stakeJSON
	must(a.chain.Query("external/stake", map[string]string{
		"consumer": consumer, "user": alice.Address, "validator": val0.Valoper}, &committed), "stake")
	check(committed.Stake.Low == stakeAmount && committed.Stake.High == stakeAmount, "provider",
		"stake committed on chaina: %+v", committed.Stake)
	var bond struct {
		BondRequest string `json:"bond_request"`
		Delegated   string `json:"delegated"`
	}
	must(b.chain.Query("consumer/bond_request", map[string]string{
		"provider": provider, "validator": val0.Valoper}, &bond), "bond request")
	check(bond.BondRequest != "0" && bond.BondRequest != "", "consumer",
		"bond request on chainb: %s", bond.BondRequest)

	// An epoch later the consumer holds the virtual delegation.
	h.round(11)
	must(b.chain.Query("consumer/bond_request", map[string]string{
		"provider": provider, "validator": val0.Valoper}, &bond), "bond request")
	check(bond.Delegated == bond.BondRequest, "delegated",
		"virtual stake delegated on chainb at the epoch: %s", bond.Delegated)

	// The slash: val0 double signs on chainb (evidence through begin_block).
	var v validatorJSON
	must(b.chain.Query("staking/validator", map[string]string{"validator": val0.Valoper}, &v), "validator")
	evidence := []misbehavior{{Type: "duplicate_vote", ValidatorAddress: v.ConsensusAddress,
		Power: v.Power, Height: b.height, TimeNs: b.timeNs}}
	h.produce(b, nil, evidence)
	var jailed validatorJSON
	must(b.chain.Query("staking/validator", map[string]string{"validator": val0.Valoper}, &jailed), "validator")
	check(jailed.Jailed && jailed.Tombstoned, "consumer slash", "val0 jailed and tombstoned on chainb")
	pub, _ := base64.StdEncoding.DecodeString(v.ConsensusPubkey)
	removed := false
	for _, u := range b.last {
		if bytes.Equal(u.PubKey, pub) && u.Power == 0 {
			removed = true
		}
	}
	check(removed, "valset", "end_block removed val0 from chainb's consensus set (%d updates)", len(b.last))

	// The valset update with the slash is relayed back to the provider.
	h.round(3)
	var cut stakeJSON
	must(a.chain.Query("external/stake", map[string]string{
		"consumer": consumer, "user": alice.Address, "validator": val0.Valoper}, &cut), "stake")
	check(less(cut.Stake.High, stakeAmount) && cut.Stake.Low == cut.Stake.High, "provider slash",
		"chaina cut alice's stake: %s -> %+v", stakeAmount, cut.Stake)
	var acct struct {
		Bonded string `json:"bonded"`
	}
	must(a.chain.Query("vault/account", map[string]string{"address": alice.Address}, &acct), "vault")
	check(less(acct.Bonded, stakeAmount), "collateral", "alice's vault collateral cut: %s", acct.Bonded)

	fmt.Printf("go host: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
