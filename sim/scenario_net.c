/* The `net` table of `hvsim run` (docs/scenarios.md): a scenario's network on
 * the world's clock. net.start(mode) builds one of netsim's topologies in the
 * world (its events run between machine steps, in time order);
 * net.client(port) plugs in a simulated guest; net.capture writes a port's or
 * a bridge's frames to a pcap; net.link changes latency, rate, loss or carrier
 * of a port's link (faults for labs); net.txqueuelen sets a port's transmit
 * queue (ip link set dev PORT txqueuelen N); net.burst has the LAN's server send
 * a burst of UDP datagrams to a client; net.counters reads ifconfig's counters. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "netsim/hosts.h"
#include "netsim/pcap.h"
#include "netsim/preset.h"
#include "scenario.h"
#include "scenario_lua.h"

#define NET_MAX_CLIENTS 16
#define NET_MAX_CAPTURES 16
#define CLIENT_MT "hvsim.netclient"

struct scen_net {
    struct netsim net;
    struct netsim_topo *topo;
    struct netsim_client *clients[NET_MAX_CLIENTS];
    int nclients;
    struct netsim_pcap *caps[NET_MAX_CAPTURES];
    int ncaps;
};

static struct scen_net *need_net(lua_State *L, const char *what)
{
    struct scenario *s = scen_lua_get(L);
    if (!s->net)
        luaL_error(L, "%s: no network yet: call net.start(\"nat\"|\"bridge\"|\"route\") first", what);
    return s->net;
}

static struct netsim_port *need_port(lua_State *L, struct scen_net *n, int idx, const char *what)
{
    const char *name = luaL_checkstring(L, idx);
    struct netsim_port *p = netsim_topo_port(n->topo, name);
    if (!p)
        luaL_error(L, "%s: no port '%s' in the %s network", what, name, netsim_mode_name(n->topo->mode));
    return p;
}

/* net.start(mode [, {seed = N}]): the topology, once per scenario. */
static int l_start(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    const char *mode_s = luaL_checkstring(L, 1);
    enum netsim_mode mode;
    uint64_t seed = s->o.seed;
    struct scen_net *n;

    if (s->net)
        return luaL_error(L, "net.start: the scenario has its network already");
    if (netsim_mode_parse(mode_s, &mode) != HV_OK)
        return luaL_error(L, "net.start: mode '%s': expected \"nat\", \"bridge\" or \"route\"", mode_s);
    if (lua_istable(L, 2) && lua_getfield(L, 2, "seed") != LUA_TNIL)
        seed = (uint64_t)luaL_checkinteger(L, -1);
    n = calloc(1, sizeof *n);
    if (!n || netsim_init(&n->net, world_queue(s->w)) != HV_OK) {
        free(n);
        return luaL_error(L, "net.start: out of memory");
    }
    n->topo = netsim_topo_new(&n->net, mode, seed);
    if (!n->topo) {
        netsim_destroy(&n->net);
        free(n);
        return luaL_error(L, "net.start: cannot build the %s topology", mode_s);
    }
    s->net = n;
    return 0;
}

/* net.client(port [, {name=, mac=, lookup=, at=}]): a simulated guest on a new
 * port that leases, resolves, pings and fetches a page. */
static int l_client(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    struct scen_net *n = need_net(L, "net.client");
    const char *port = luaL_checkstring(L, 1);
    char name[32];
    uint8_t mac[ETH_ALEN] = { 0x00, 0x16, 0x3e, 0x00, 0x02, (uint8_t)(n->nclients + 1) };
    const char *lookup = "www." NETSIM_WORLD_ZONE;
    vtime_t at = scenario_now(s) + 100 * VTIME_MS;
    struct netsim_client *c;
    struct netsim_nic_opts o = { 0 };

    if (n->topo->mode == NETSIM_MODE_ROUTE)
        return luaL_error(L, "net.client: route mode needs static guests; not offered yet");
    if (n->nclients == NET_MAX_CLIENTS)
        return luaL_error(L, "net.client: at most %d clients", NET_MAX_CLIENTS);
    if (netsim_topo_port(n->topo, port))
        return luaL_error(L, "net.client: port '%s' exists already", port);
    snprintf(name, sizeof name, "guest%d", n->nclients + 1);
    if (lua_istable(L, 2)) {
        if (lua_getfield(L, 2, "name") != LUA_TNIL)
            snprintf(name, sizeof name, "%s", luaL_checkstring(L, -1));
        if (lua_getfield(L, 2, "mac") != LUA_TNIL) {
            unsigned b[6];
            const char *m = luaL_checkstring(L, -1);
            if (sscanf(m, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
                return luaL_error(L, "net.client: mac '%s': expected six hex bytes such as 00:16:3e:00:02:01", m);
            for (int i = 0; i < 6; i++)
                mac[i] = (uint8_t)b[i];
        }
        if (lua_getfield(L, 2, "lookup") != LUA_TNIL)
            lookup = luaL_checkstring(L, -1);
        if (lua_getfield(L, 2, "at") != LUA_TNIL)
            at = scen_lua_time(L, lua_gettop(L), "net.client: at");
    }
    c = netsim_client_new(&n->net, name, "eth0", mac, s->o.seed + (uint64_t)n->nclients, lookup);
    if (!c || netsim_topo_plug(n->topo, port, &c->h.ifc.port, &o) != HV_OK) {
        netsim_client_free(c);
        return luaL_error(L, "net.client: cannot plug a client into port '%s'", port);
    }
    netsim_client_start(c, at < scenario_now(s) ? scenario_now(s) : at);
    n->clients[n->nclients++] = c;
    struct netsim_client **u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = c;
    luaL_setmetatable(L, CLIENT_MT);
    return 1;
}

static void push_ip(lua_State *L, uint32_t ip)
{
    lua_pushfstring(L, "%d.%d.%d.%d", (int)(ip >> 24), (int)((ip >> 16) & 255), (int)((ip >> 8) & 255),
                    (int)(ip & 255));
}

/* client.state, .ip, .router, .dns, .resolved, .pings, .answered, .http, .body, .done_at */
static int l_client_index(lua_State *L)
{
    struct netsim_client *c = *(struct netsim_client **)luaL_checkudata(L, 1, CLIENT_MT);
    const char *k = luaL_checkstring(L, 2);

    if (!strcmp(k, "state"))
        lua_pushstring(L, netsim_client_state_name(c->state));
    else if (!strcmp(k, "ip"))
        push_ip(L, c->ip);
    else if (!strcmp(k, "router"))
        push_ip(L, c->router);
    else if (!strcmp(k, "dns"))
        push_ip(L, c->dns);
    else if (!strcmp(k, "resolved"))
        push_ip(L, c->resolved);
    else if (!strcmp(k, "pings"))
        lua_pushinteger(L, c->pings_sent);
    else if (!strcmp(k, "answered"))
        lua_pushinteger(L, c->pings_answered);
    else if (!strcmp(k, "http"))
        lua_pushinteger(L, c->http_status);
    else if (!strcmp(k, "body"))
        lua_pushstring(L, c->http_body);
    else if (!strcmp(k, "done_at"))
        lua_pushnumber(L, (double)c->done_at / 1e9);
    else if (!strcmp(k, "rx_packets"))
        lua_pushinteger(L, (lua_Integer)c->h.ifc.port.st.rx_packets);
    else
        return luaL_error(L, "net client: no field '%s' (state, ip, router, dns, resolved, pings, answered, "
                             "http, body, done_at, rx_packets)", k);
    return 1;
}

/* Where a capture named by the script goes: under --out when it is a bare name. */
static void out_path(struct scenario *s, const char *file, char *buf, size_t len)
{
    if (s->o.out_dir && !strchr(file, '/'))
        snprintf(buf, len, "%s/%s", s->o.out_dir, file);
    else
        snprintf(buf, len, "%s", file);
}

/* net.capture(port_or_bridge [, file]): every frame a bridge receives, or both
 * directions of a port, from now on; file defaults to NAME.pcap (under --out). */
static int l_capture(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    struct scen_net *n = need_net(L, "net.capture");
    const char *name = luaL_checkstring(L, 1);
    char file[256], path[4096];
    struct netsim_bridge *br = NULL;
    struct netsim_port *p = NULL;
    struct netsim_pcap *pc;

    if (n->topo->br && !strcmp(n->topo->br->name, name))
        br = n->topo->br;
    else if (!strcmp(n->topo->world->lan->name, name))
        br = n->topo->world->lan;
    else
        p = need_port(L, n, 1, "net.capture");
    if (n->ncaps == NET_MAX_CAPTURES)
        return luaL_error(L, "net.capture: at most %d captures", NET_MAX_CAPTURES);
    snprintf(file, sizeof file, "%s.pcap", name);
    out_path(s, luaL_optstring(L, 2, file), path, sizeof path);
    pc = netsim_pcap_open(path);
    if (!pc)
        return luaL_error(L, "net.capture: cannot create %s", path);
    if ((br ? netsim_pcap_attach_bridge(pc, br) : netsim_pcap_attach_port(pc, p, NETSIM_CAP_RX | NETSIM_CAP_TX)) !=
        HV_OK) {
        netsim_pcap_close(pc);
        return luaL_error(L, "net.capture: %s has no room for another capture", name);
    }
    n->caps[n->ncaps++] = pc;
    lua_pushstring(L, path);
    return 1;
}

/* A rate: bits per second as a number, or "100M", "1G", "56k". */
static uint64_t opt_rate(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer r = luaL_checkinteger(L, idx);
        if (r < 0)
            luaL_error(L, "net.link: rate %d: expected bits per second >= 0", (int)r);
        return (uint64_t)r;
    }
    const char *t = luaL_checkstring(L, idx);
    char *end;
    double v = strtod(t, &end);
    double mul = *end == 'k' || *end == 'K' ? 1e3 : *end == 'M' ? 1e6 : *end == 'G' ? 1e9 : *end ? 0 : 1;
    if (end == t || !(v >= 0) || mul == 0 || (*end && end[1]))
        luaL_error(L, "net.link: rate '%s': expected bits per second such as 1000000, \"100M\" or \"1G\"", t);
    return (uint64_t)llround(v * mul);
}

/* net.link(port, {latency=, rate=, loss=, up=}): what is not given stays. */
static int l_link(lua_State *L)
{
    struct scen_net *n = need_net(L, "net.link");
    struct netsim_port *p = need_port(L, n, 1, "net.link");
    struct netsim_link_params lp = p->link;

    luaL_checktype(L, 2, LUA_TTABLE);
    if (!p->peer)
        return luaL_error(L, "net.link: port '%s' is not linked", p->name);
    if (lua_getfield(L, 2, "latency") != LUA_TNIL)
        lp.latency = scen_lua_time(L, lua_gettop(L), "net.link: latency");
    if (lua_getfield(L, 2, "rate") != LUA_TNIL)
        lp.rate_bps = opt_rate(L, lua_gettop(L));
    if (lua_getfield(L, 2, "loss") != LUA_TNIL) {
        double loss = luaL_checknumber(L, -1);
        if (!(loss >= 0 && loss <= 1))
            return luaL_error(L, "net.link: loss %f: expected a fraction from 0 to 1", loss);
        lp.loss_ppm = (uint32_t)llround(loss * 1e6);
    }
    netsim_link_set(p, &lp);
    if (lua_getfield(L, 2, "up") != LUA_TNIL) {
        luaL_checktype(L, -1, LUA_TBOOLEAN);
        netsim_link_set_up(p, lua_toboolean(L, -1));
    }
    return 0;
}

/* net.txqueuelen(port, n): frames the port may hold waiting for its wire, as
 * `ip link set dev PORT txqueuelen N`; frames queued already stay. */
static int l_txqueuelen(lua_State *L)
{
    struct scen_net *n = need_net(L, "net.txqueuelen");
    struct netsim_port *p = need_port(L, n, 1, "net.txqueuelen");
    lua_Integer q = luaL_checkinteger(L, 2);
    if (q < 1 || q > 1000000)
        return luaL_error(L, "net.txqueuelen: %d: expected 1 to 1000000 frames", (int)q);
    p->txqueuelen = (uint32_t)q;
    return 0;
}

/* net.burst(client [, {count=, size=, port=}]): the LAN's server www sends count
 * UDP datagrams of size bytes (default 100 of 1400) to the client's address and
 * UDP port (default 9, discard), all at this instant, back to back on its wire. */
static int l_burst(lua_State *L)
{
    struct scen_net *n = need_net(L, "net.burst");
    struct netsim_client *c = *(struct netsim_client **)luaL_checkudata(L, 1, CLIENT_MT);
    lua_Integer count = 100, size = 1400, dport = 9;
    static uint8_t payload[1472];

    if (lua_istable(L, 2)) {
        if (lua_getfield(L, 2, "count") != LUA_TNIL)
            count = luaL_checkinteger(L, -1);
        if (lua_getfield(L, 2, "size") != LUA_TNIL)
            size = luaL_checkinteger(L, -1);
        if (lua_getfield(L, 2, "port") != LUA_TNIL)
            dport = luaL_checkinteger(L, -1);
    } else if (!lua_isnoneornil(L, 2)) {
        return luaL_error(L, "net.burst: expected options {count=, size=, port=}, got %s", luaL_typename(L, 2));
    }
    if (count < 1 || count > 100000)
        return luaL_error(L, "net.burst: count %d: expected 1 to 100000 datagrams", (int)count);
    if (size < 0 || size > (lua_Integer)sizeof payload)
        return luaL_error(L, "net.burst: size %d: expected 0 to %d bytes of UDP data (one frame each)", (int)size,
                          (int)sizeof payload);
    if (dport < 1 || dport > 65535)
        return luaL_error(L, "net.burst: port %d: expected 1 to 65535", (int)dport);
    if (!c->ip)
        return luaL_error(L, "net.burst: the client has no address yet (state %s): wait until it leased one",
                          netsim_client_state_name(c->state));
    for (lua_Integer i = 0; i < count; i++) {
        payload[0] = (uint8_t)(i >> 8);
        payload[1] = (uint8_t)i;
        /* A full queue on the way is what the burst is for: its drops are counted there. */
        netsim_host_udp_send(&n->topo->world->server, 9, c->ip, (uint16_t)dport, payload, (size_t)size);
    }
    return 0;
}

/* net.counters(port): ifconfig's counters of the port, and frames its link lost. */
static int l_counters(lua_State *L)
{
    struct scen_net *n = need_net(L, "net.counters");
    struct netsim_port *p = need_port(L, n, 1, "net.counters");
    const struct netsim_port_stats *st = &p->st;
    const struct {
        const char *k;
        uint64_t v;
    } f[] = {
        { "rx_packets", st->rx_packets }, { "rx_bytes", st->rx_bytes },     { "rx_dropped", st->rx_dropped },
        { "rx_errors", st->rx_errors },   { "tx_packets", st->tx_packets }, { "tx_bytes", st->tx_bytes },
        { "tx_dropped", st->tx_dropped }, { "tx_errors", st->tx_errors },   { "tx_carrier", st->tx_carrier },
        { "lost", p->lost },              { "txqueuelen", p->txqueuelen },
    };

    lua_createtable(L, 0, (int)(sizeof f / sizeof f[0]) + 1);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushinteger(L, (lua_Integer)f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
    lua_pushboolean(L, netsim_port_carrier(p));
    lua_setfield(L, -2, "carrier");
    return 1;
}

/* net.ports(): the names of every port, bridges first, in the topology's order. */
static int l_ports(lua_State *L)
{
    struct scen_net *n = need_net(L, "net.ports");
    struct netsim_bridge *brs[2] = { n->topo->br, n->topo->world->lan };
    int k = 1;

    lua_newtable(L);
    for (int b = 0; b < 2; b++)
        for (int i = 0; brs[b] && i < brs[b]->nports; i++) {
            lua_pushstring(L, brs[b]->ports[i]->name);
            lua_rawseti(L, -2, k++);
        }
    return 1;
}

struct netsim_world *scen_net_lan(struct scenario *s, struct netsim **net)
{
    if (!s->net)
        return NULL;
    *net = &s->net->net;
    return s->net->topo->world;
}

void scen_net_finish(struct scenario *s)
{
    struct scen_net *n = s->net;

    if (!n)
        return;
    for (int i = 0; i < n->ncaps; i++)
        if (netsim_pcap_close(n->caps[i]) != HV_OK)
            fprintf(stderr, "hvsim: error: a capture of the scenario's network could not be written whole\n");
    for (int i = 0; i < n->nclients; i++)
        netsim_client_free(n->clients[i]);
    netsim_topo_free(n->topo);
    netsim_destroy(&n->net);
    free(n);
    s->net = NULL;
}

void scen_lua_open_net(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "start", l_start }, { "client", l_client },     { "capture", l_capture },
        { "link", l_link },   { "counters", l_counters }, { "ports", l_ports },
        { "txqueuelen", l_txqueuelen }, { "burst", l_burst }, { NULL, NULL },
    };

    luaL_newmetatable(L, CLIENT_MT);
    lua_pushcfunction(L, l_client_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    lua_setglobal(L, "net");
}
