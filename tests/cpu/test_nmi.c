/* NMI delivery (Intel SDM vol. 3A 6.7, 6.7.1): an NMI the platform latched is
 * delivered through IDT vector 2 even with IF=0 and wakes HLT; a second NMI
 * latched inside the handler waits for the handler's IRET and then arrives
 * before the next instruction; a halted handler stays halted with one more
 * NMI pending; the blocked and pending state survive a snapshot and show in
 * the state hash. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/buf.h"
#include "harness.h"

#define NMI_COUNT (RESULT + 8)
#define NMI_EIP (RESULT + 12)
#define NMI_AFTER_OUT (RESULT + 16)

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(nmi, .fini = fini);

static void setup(const char *handler)
{
    hv_init(&h, "misc", 32);
    hv_gate(&h, 2, hv_sym(&h, handler), 0xe, 0, 0, true);
    hv_start(&h, "cli_hlt", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
}

Test(nmi, wakes_hlt_with_if_clear)
{
    setup("nmi_count");
    h.nmi = 1;
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(h.nmi, 0, "taken from the platform");
    cr_assert_eq(hv_rd32(&h, NMI_COUNT) >= 1, 1, "delivered with IF=0");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "cli_hlt_after") + 1, "back at the second HLT");
    cr_assert_eq(h.acks, 0, "no INTA for an NMI");
    cr_assert_eq(h.events[0].kind, 2);
    cr_assert_eq(h.events[0].vector, 2);
}

Test(nmi, second_waits_for_iret)
{
    setup("nmi_count");
    h.nmi_port = 0x97;
    h.nmi = 1;
    enum cpu_exit e = hv_run(&h);
    if (e == CPU_EXIT_LIMIT) /* the port's kick returns to the machine once */
        e = hv_run(&h);
    cr_assert_eq(e, CPU_EXIT_HALT);
    cr_assert_eq(hv_rd32(&h, NMI_COUNT), 2, "both delivered");
    cr_assert_eq(hv_rd32(&h, NMI_AFTER_OUT), 1, "the first handler ran on after latching the second");
    cr_assert_eq(hv_rd32(&h, NMI_EIP), hv_sym(&h, "cli_hlt_after"),
                 "the second interrupted %#x: not the handler, but where its IRET returned",
                 hv_rd32(&h, NMI_EIP));
}

Test(nmi, blocked_state_in_snapshot_and_hash)
{
    setup("nmi_hlt");
    h.nmi = 1;
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_rd32(&h, NMI_COUNT), 1);
    uint64_t blocked = cpu_state_hash(h.cpu);
    h.nmi = 1;
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT, "halted in the handler: the new NMI is blocked");
    cr_assert_eq(hv_rd32(&h, NMI_COUNT), 1, "not nested");
    cr_assert_eq(h.nmi, 0, "latched by the CPU");
    uint64_t pending = cpu_state_hash(h.cpu);
    cr_assert_neq(pending, blocked, "a pending NMI changes the state hash");

    struct buf snap;
    buf_init(&snap);
    cr_assert_eq(cpu_save(h.cpu, &snap), 0);
    struct hv h2;
    hv_init(&h2, "misc", 32);
    memcpy(h2.ram, h.ram, RAM_SIZE);
    struct buf_reader r;
    buf_reader_init(&r, snap.data, snap.len);
    cr_assert_eq(cpu_load(h2.cpu, &r), 0);
    cr_assert_eq(cpu_state_hash(h2.cpu), pending, "the loaded CPU has the NMI pending and blocked");
    cr_assert_eq(hv_run(&h2), CPU_EXIT_HALT);
    cr_assert_eq(hv_rd32(&h2, NMI_COUNT), 1, "still blocked after the load");
    hv_fini(&h2);
    buf_free(&snap);
}
