/* The synthetic trace: three domains take turns; every turn is a run slice, a
 * VM exit of a scheduled reason (with a hypercall for VMCALL), and a VM entry.
 * Interrupts, exceptions and packets are sprinkled at fixed turns. */
#include "synth_trace.h"

#include "traces/evtrace.h"

const struct synth_exit synth_exits[] = {
    { 10, 30 }, /* CPUID */
    { 12, 10 }, /* HLT */
    { 30, 25 }, /* I/O instruction */
    { 18, 20 }, /* VMCALL */
    { 48, 5 },  /* EPT violation */
    { 1, 8 },   /* external interrupt */
    { 52, 2 },  /* preemption timer */
};
const unsigned synth_n_exit_kinds = sizeof synth_exits / sizeof synth_exits[0];

int synth_trace_write(const char *path, uint32_t cap)
{
    static const char *const dom_names[SYNTH_DOMAINS] = { "Domain-0", "guest1", "guest2" };
    struct evtrace_info info = { "hvsim test", SYNTH_FREQ_HZ, "synthetic" };
    struct evtrace *t = evtrace_create(path, &info, cap);
    uint32_t vif, bridge;
    vtime_t now = 0;
    unsigned kind = 0, used = 0, vmcalls = 0;

    if (!t)
        return -1;
    for (uint16_t d = 0; d < SYNTH_DOMAINS; d++)
        evtrace_domain(t, now, d, EVTRACE_DOM_CREATE, evtrace_string(t, dom_names[d]));
    vif = evtrace_string(t, "vif1.0");
    bridge = evtrace_string(t, "xenbr0");
    for (unsigned k = 0; k < SYNTH_EXITS; k++) {
        uint16_t d = (uint16_t)(k % SYNTH_DOMAINS), vcpu = (uint16_t)(k % 2);
        uint32_t reason = synth_exits[kind].reason;

        now += SYNTH_RUN_NS(d);
        evtrace_run(t, now, d, vcpu, SYNTH_RUN_INSNS(d), SYNTH_RUN_NS(d));
        evtrace_vmexit(t, now, d, vcpu, reason, 0x1000 + k, SYNTH_EXIT_CYCLES(reason));
        if (reason == 18)
            evtrace_hypercall(t, now, d, vcpu, vmcalls++ < 12 ? 29 : 17, k);
        now += SYNTH_EXIT_CYCLES(reason) / 2;
        /* 15 timer interrupts and 3 page faults injected, 4 #PF and 1 #GP raised */
        if (k % 6 == 0 && k < 90)
            evtrace_interrupt(t, now, d, vcpu, 0x20, 0, 0, 0);
        if (k == 7 || k == 8 || k == 9)
            evtrace_interrupt(t, now, d, vcpu, 14, 3, 1, 2);
        if (k >= 40 && k < 44)
            evtrace_exception(t, now, d, vcpu, 14, 4, 0xffff800000001000ULL + k);
        if (k == 50)
            evtrace_exception(t, now, d, vcpu, 13, 0, 0x401000);
        evtrace_vmentry(t, now, d, vcpu, 0, 0);
        /* vif1.0: 10 received, 7 sent of which 2 dropped; xenbr0: 5 sent */
        if (k < 10)
            evtrace_packet(t, now, 1, vif, 60 + k, EVTRACE_RX, 0);
        if (k >= 20 && k < 27)
            evtrace_packet(t, now, 1, vif, 1514, EVTRACE_TX, k >= 25);
        if (k >= 30 && k < 35)
            evtrace_packet(t, now, EVTRACE_NO_DOMAIN, bridge, 100, EVTRACE_TX, 0);
        if (++used == synth_exits[kind].count) {
            kind++;
            used = 0;
        }
    }
    evtrace_domain(t, now, 2, EVTRACE_DOM_DESTROY, evtrace_string(t, dom_names[2]));
    return evtrace_close(t);
}
