/* Machine assembly and the virtual-time main loop. Every device is created and
 * placed at its address in machine_create, in one readable function; interrupt
 * lines are wired here (ISA IRQs to both the 8259 and the I/O APIC, the 8259 to
 * LINT0, the I/O APIC to the local APIC). The loop runs the CPU up to the next
 * event, fires due events, and lets idle time pass while the CPU halts. */
#include "machine/machine.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arch/pc.h"
#include "base/evq.h"
#include "base/log.h"
#include "machine/bios.h"
#include "cpu/cpu.h"
#include "vmx/vmx.h"
#include "devices/acpi.h"
#include "devices/acpi_pm.h"
#include "devices/cmos_rtc.h"
#include "devices/debug_exit.h"
#include "devices/fw_cfg.h"
#include "devices/pci_host.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart16550.h"
#include "machine_priv.h"

#define COM1_IRQ 4

/* Devices see current virtual time; events they schedule earlier than the CPU's
 * current deadline make the CPU come back at the next block boundary. */
static void sync_time(struct machine *m) { evq_run_until(&m->q, cpu_now(m->cpu)); }
void machine_sync_devices(struct machine *m) { sync_time(m); }

static void after_access(struct machine *m)
{
    if (evq_next(&m->q) < m->deadline)
        cpu_kick(m->cpu);
}

/* The bus time of a port access (the device's access_ns) passes before the
 * device sees it, as the CPU stalls for the cycle. */
static void charge_bus(struct machine *m, uint16_t port)
{
    uint8_t o = m->io.port_owner[port];
    uint32_t ns = o ? m->io.regions[o - 1].ops->access_ns : 0;
    if (ns)
        cpu_add_cycles(m->cpu, vtime_to_cycles(ns, m->cfg.hz));
}

static uint32_t plat_pio_read(void *o, uint16_t port, unsigned size)
{
    struct machine *m = o;
    if (m->counters)
        machine_counters_pio(m, port);
    charge_bus(m, port);
    sync_time(m);
    uint32_t v = iomap_pio_read(&m->io, port, size);
    after_access(m);
    return v;
}

static void plat_pio_write(void *o, uint16_t port, uint32_t val, unsigned size)
{
    struct machine *m = o;
    if (m->counters)
        machine_counters_pio(m, port);
    charge_bus(m, port);
    sync_time(m);
    iomap_pio_write(&m->io, port, val, size);
    after_access(m);
}

/* Spin-loop fast-forward asks what repeating a port access would do. */
static int plat_pio_poll(void *o, uint16_t port, unsigned size, bool write, uint32_t val, uint64_t *until_cycles)
{
    struct machine *m = o;
    uint8_t own = m->io.port_owner[port];
    const struct io_region *r = own ? &m->io.regions[own - 1] : NULL;
    vtime_t until = VTIME_NEVER;

    if (!r || !r->ops->poll || port + size > r->base + r->len)
        return CPU_POLL_NONE;
    enum dev_poll k = r->ops->poll(r->opaque, port - r->base, size, write, val, cpu_now(m->cpu), &until);
    *until_cycles = cpu_cycles_at(m->cpu, until);
    return k == DEV_POLL_STABLE ? CPU_POLL_STABLE : k == DEV_POLL_RISING ? CPU_POLL_RISING
                                                 : k == DEV_POLL_SAME ? CPU_POLL_SAME : CPU_POLL_NONE;
}

/* The devices' clock follows the CPU back; nothing fired in between, since a
 * probe ends before the next event. */
static void plat_rewind(void *o)
{
    struct machine *m = o;
    vtime_t now = cpu_now(m->cpu);
    if (now < m->q.now)
        m->q.now = now;
}

static uint64_t mmio_read(void *o, uint64_t off, unsigned size)
{
    struct mmio_dev *d = o;
    if (d->m->counters)
        machine_counters_mmio(d->m);
    sync_time(d->m);
    uint64_t v = d->ops->read(d->opaque, off, size);
    after_access(d->m);
    return v;
}

static void mmio_write(void *o, uint64_t off, uint64_t val, unsigned size)
{
    struct mmio_dev *d = o;
    if (d->m->counters)
        machine_counters_mmio(d->m);
    sync_time(d->m);
    d->ops->write(d->opaque, off, val, size);
    after_access(d->m);
}

static int plat_intr_pending(void *o)
{
    struct machine *m = o;
    return lapic_intr_pending(m->lapic);
}

static int plat_intr_ack(void *o)
{
    struct machine *m = o;
    sync_time(m);
    return lapic_intr_ack(m->lapic);
}

static int plat_nmi_take(void *o)
{
    struct machine *m = o;
    return lapic_nmi_take(m->lapic);
}

static uint8_t plat_tpr_read(void *o)
{
    struct machine *m = o;
    return lapic_tpr_get(m->lapic);
}

static void plat_tpr_write(void *o, uint8_t tpr)
{
    struct machine *m = o;
    sync_time(m);
    lapic_tpr_set(m->lapic, tpr);
    after_access(m);
}

static bool lapic_msr(uint32_t msr)
{
    return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
           (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

static int plat_msr_read(void *o, uint32_t msr, uint64_t *val)
{
    struct machine *m = o;
    if (!lapic_msr(msr))
        return 1;
    sync_time(m);
    return lapic_msr_read(m->lapic, msr, val);
}

static int plat_msr_write(void *o, uint32_t msr, uint64_t val)
{
    struct machine *m = o;
    if (!lapic_msr(msr))
        return 1;
    sync_time(m);
    int r = lapic_msr_write(m->lapic, msr, val);
    after_access(m);
    return r;
}

/* Interrupt wiring. */
static void cpu_intr_line(void *o, int level)
{
    struct machine *m = o;
    if (level)
        cpu_kick(m->cpu);
}

static void pic_to_lint0(void *o, int level)
{
    struct machine *m = o;
    lapic_set_lint(m->lapic, 0, level);
}

static void isa_irq(struct machine *m, unsigned irq, int level)
{
    pic_set_irq(m->pic, irq, level);
    ioapic_set_irq(m->ioapic, irq == 0 ? IOAPIC_ISA_IRQ0_PIN : irq, level);
}

static void irq0_set(void *o, int level) { isa_irq(o, 0, level); }
static void irq4_set(void *o, int level) { isa_irq(o, COM1_IRQ, level); }
static void irq8_set(void *o, int level) { isa_irq(o, 8, level); }
static void irq9_set(void *o, int level) { isa_irq(o, 9, level); }

/* PCI INTx lines A-D go to I/O APIC GSIs 16-19, as the DSDT's _PRT says. */
#define PCI_GSI_BASE 16
static void pci_intx0_set(void *o, int level) { ioapic_set_irq(((struct machine *)o)->ioapic, PCI_GSI_BASE + 0, level); }
static void pci_intx1_set(void *o, int level) { ioapic_set_irq(((struct machine *)o)->ioapic, PCI_GSI_BASE + 1, level); }
static void pci_intx2_set(void *o, int level) { ioapic_set_irq(((struct machine *)o)->ioapic, PCI_GSI_BASE + 2, level); }
static void pci_intx3_set(void *o, int level) { ioapic_set_irq(((struct machine *)o)->ioapic, PCI_GSI_BASE + 3, level); }

static int pic_pending_hook(void *o) { return pic_intr_pending(o); }
static int pic_ack_hook(void *o) { return pic_intr_ack(o); }

static void ioapic_to_lapic(void *o, const struct apic_msg *msg)
{
    struct machine *m = o;
    lapic_deliver(m->lapic, msg);
}

static void lapic_eoi_to_ioapic(void *o, int vector)
{
    struct machine *m = o;
    ioapic_eoi(m->ioapic, vector);
}

static void console_tx(void *o, uint8_t byte)
{
    struct machine *m = o;
    fputc(byte, m->cfg.console);
    m->console_bytes++;
    m->console_hash = hash_fnv1a64(m->console_hash, &byte, 1);
}

/* Event trace: each event the CPU delivers through the IDT. INT3 and INTO are
 * software exceptions (#BP, #OF) and are counted with the exceptions. */
static void plat_on_event(void *o, int kind, int vector, uint32_t err, uint64_t rip)
{
    struct machine *m = o;
    /* An observer (hv/) may know which guest domain the event belongs to. */
    uint16_t dom = m->observer ? (uint16_t)m->observer(m->observer_opaque, kind, vector, err, rip) : 0;
    if (!m->trace || kind == 4) /* SYSCALL: for observers only */
        return;
    vtime_t now = cpu_now(m->cpu);
    if (kind == 3) {
        evtrace_vmexit(m->trace, now, dom, 0, (uint32_t)vector, err, cpu_vmx_round_trip_cycles(m->cpu));
        return;
    }
    if (kind == 0 || (kind == 1 && (vector == 3 || vector == 4)))
        evtrace_exception(m->trace, now, dom, 0, (uint8_t)vector, err, rip);
    else
        evtrace_interrupt(m->trace, now, dom, 0, (uint8_t)vector, kind == 1 ? 4 : 0, 0, 0);
}

static void on_insn(void *o, uint64_t rip, const char *text)
{
    struct machine *m = o;
    evtrace_insn(m->trace, cpu_now(m->cpu), 0, 0, rip, evtrace_string(m->trace, text));
}

void machine_trace_insns(struct machine *m, vtime_t from, vtime_t to)
{
    cpu_trace_insns(m->cpu, cpu_cycles_at(m->cpu, from), cpu_cycles_at(m->cpu, to), on_insn, m);
}

static void tick_fire(void *o, vtime_t now)
{
    struct machine *m = o;
    m->tick_due = true;
    evq_schedule(&m->q, &m->tick_ev, now + m->tick_period);
}

static void on_debug_exit(void *o, uint32_t value)
{
    struct machine *m = o;
    if (m->stopping)
        return;
    m->stopping = true;
    m->end = MACHINE_END_EXIT;
    m->exit_status = debug_exit_status(value);
    cpu_request_stop(m->cpu);
}

static void on_poweroff(void *o)
{
    struct machine *m = o;
    if (m->stopping)
        return;
    m->stopping = true;
    m->end = MACHINE_END_POWEROFF;
    m->exit_status = 0;
    cpu_request_stop(m->cpu);
}

static int add_pio(struct machine *m, uint16_t base, uint16_t len, const struct dev_ops *ops, void *opaque)
{
    if (iomap_add_pio(&m->io, base, len, ops, opaque)) {
        log_error("machine: ports %#x-%#x for %s are already taken", base, base + len - 1, ops->name);
        return -1;
    }
    return 0;
}

int machine_map_mmio(struct machine *m, struct mmio_dev *d, uint64_t base, uint64_t len, const struct dev_ops *ops,
                     void *opaque)
{
    *d = (struct mmio_dev){ .m = m, .ops = ops, .opaque = opaque };
    if (cpu_mmio_map(m->cpu, base, len, mmio_read, mmio_write, d)) {
        log_error("machine: cannot map %s at %#llx", ops->name, (unsigned long long)base);
        return -1;
    }
    return 0;
}

/* What a PC BIOS leaves behind before the boot loader runs: low memory (IVT,
 * BIOS data area, EBDA, the ROM's stubs: bios.c), both 8259s initialised at
 * vectors 0x08 and 0x70 and every IRQ masked, so nothing arrives as a CPU
 * exception vector before the kernel programs them. */
static void firmware_init(struct machine *m)
{
    bios_install(m->ram.base, m->cfg.mem_bytes);
    static const uint8_t master[] = { 0x11, 0x08, 0x04, 0x01, 0xfb };
    static const uint8_t slave[] = { 0x11, 0x70, 0x02, 0x01, 0xff };
    for (int i = 0; i < 5; i++) {
        iomap_pio_write(&m->io, (uint16_t)(PIC_MASTER_PORT + (i ? 1 : 0)), master[i], 1);
        iomap_pio_write(&m->io, (uint16_t)(PIC_SLAVE_PORT + (i ? 1 : 0)), slave[i], 1);
    }
}

struct machine *machine_create(const struct machine_config *cfg)
{
    struct machine *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cfg = *cfg;
    if (!m->cfg.hz)
        m->cfg.hz = 1000000000ULL;
    if (!m->cfg.console)
        m->cfg.console = stdout;
    iomap_init(&m->io);
    m->console_hash = HASH_FNV1A64_INIT;
    event_init(&m->tick_ev, "machine-tick", tick_fire, m);
    if (evq_init(&m->q))
        goto fail;
    if (ram_init(&m->ram, cfg->mem_bytes))
        goto fail_after_evq;

    struct cpu_config cc = { .ram = m->ram.base, .ram_size = cfg->mem_bytes, .hz = m->cfg.hz, .apic_id = 0,
                             .sw = cfg->cpu_switches };
    struct cpu_platform plat = {
        .pio_read = plat_pio_read, .pio_write = plat_pio_write,
        .intr_pending = plat_intr_pending, .intr_ack = plat_intr_ack, .nmi_take = plat_nmi_take,
        .tpr_read = plat_tpr_read, .tpr_write = plat_tpr_write,
        .msr_read = plat_msr_read, .msr_write = plat_msr_write, .on_event = plat_on_event,
        .pio_poll = plat_pio_poll, .rewind = plat_rewind, .opaque = m,
    };
    m->cpu = cpu_new(&cc, &plat);
    if (!m->cpu)
        goto fail_after_ram;
    if (vmx_attach(m->cpu)) { /* VT-x, the layer above the ring model */
        cpu_free(m->cpu);
        goto fail_after_ram;
    }

    /* Interrupt controllers: the local APIC is the CPU's only interrupt seam. */
    struct lapic_config lc = { .apic_id = 0, .bsp = 1, .tsc_hz = m->cfg.hz,
                               .intr = { .set = cpu_intr_line, .opaque = m } };
    m->lapic = lapic_create(&m->q, &lc);
    m->pic = pic_create((struct irq_line){ .set = pic_to_lint0, .opaque = m });
    m->ioapic = ioapic_create(1, ioapic_to_lapic, m);
    if (!m->lapic || !m->pic || !m->ioapic)
        goto fail_after_devices;
    lapic_set_pic(m->lapic, &(struct lapic_pic_hooks){ pic_pending_hook, pic_ack_hook, m->pic });
    lapic_set_eoi_fn(m->lapic, lapic_eoi_to_ioapic, m);

    m->pit = pit_create(&m->q, (struct irq_line){ .set = irq0_set, .opaque = m });
    m->uart = uart_create(&m->q, (struct irq_line){ .set = irq4_set, .opaque = m }, console_tx, m);
    m->dbg = debug_exit_create(on_debug_exit, m);
    m->rtc = cmos_rtc_create(&m->q, &(struct cmos_rtc_config){
        .epoch = (int64_t)cfg->rtc_epoch, .ram_below_4g = cfg->mem_bytes,
        .irq = { .set = irq8_set, .opaque = m } });
    m->pm = acpi_pm_create(&m->q, &(struct acpi_pm_config){
        .sci = { .set = irq9_set, .opaque = m }, .poweroff = on_poweroff, .opaque = m });
    m->fwcfg = fw_cfg_create(cfg->mem_bytes, 1);
    m->pci = pci_host_create(1);
    m->bios = bios_create(m->cpu, m->ram.base, cfg->mem_bytes);
    if (!m->pit || !m->uart || !m->dbg || !m->rtc || !m->pm || !m->fwcfg || !m->pci || !m->bios)
        goto fail_after_devices;
    pci_host_set_intx_line(m->pci, 0, (struct irq_line){ .set = pci_intx0_set, .opaque = m });
    pci_host_set_intx_line(m->pci, 1, (struct irq_line){ .set = pci_intx1_set, .opaque = m });
    pci_host_set_intx_line(m->pci, 2, (struct irq_line){ .set = pci_intx2_set, .opaque = m });
    pci_host_set_intx_line(m->pci, 3, (struct irq_line){ .set = pci_intx3_set, .opaque = m });
    /* ACPI tables in the BIOS area, where kernels scan for the RSDP. */
    if (acpi_build(m->ram.base + ACPI_RSDP_AREA_START, ACPI_RSDP_AREA_START,
                   ACPI_RSDP_AREA_END - ACPI_RSDP_AREA_START,
                   &(struct acpi_config){ .ncpus = 1, .ioapic_id = 1, .pci_mmio_base = (uint32_t)cfg->mem_bytes }) < 0) {
        log_error("machine: cannot build the ACPI tables");
        goto fail_after_devices;
    }

    /* The address map, as QEMU's pc machine (arch/pc.h). */
    if (add_pio(m, PIC_MASTER_PORT, PIC8259_PORT_LEN, &pic8259_master_ops, m->pic) ||
        add_pio(m, PIC_SLAVE_PORT, PIC8259_PORT_LEN, &pic8259_slave_ops, m->pic) ||
        add_pio(m, PIC_ELCR_PORT, PIC8259_ELCR_PORT_LEN, &pic8259_elcr_ops, m->pic) ||
        add_pio(m, PIT_PORT, PIT8254_PORT_LEN, &pit8254_ops, m->pit) ||
        add_pio(m, SYS_CTRL_B_PORT, PIT8254_PORT61_LEN, &pit8254_port61_ops, m->pit) ||
        add_pio(m, COM1_PORT, UART16550_PORT_LEN, &uart16550_ops, m->uart) ||
        add_pio(m, DEBUG_EXIT_PORT, DEBUG_EXIT_PORT_LEN, &debug_exit_ops, m->dbg) ||
        add_pio(m, CMOS_RTC_PORT, CMOS_RTC_PORT_LEN, &cmos_rtc_ops, m->rtc) ||
        add_pio(m, ACPI_PM_BASE_DEFAULT, ACPI_PM_PORT_LEN, &acpi_pm_ops, m->pm) ||
        add_pio(m, FW_CFG_PORT, FW_CFG_PORT_LEN, &fw_cfg_ops, m->fwcfg) ||
        add_pio(m, PCI_HOST_PORT, PCI_HOST_PORT_LEN, &pci_host_ops, m->pci) ||
        add_pio(m, BIOS_CALL_PORT, 1, &bios_call_ops, m->bios) ||
        machine_map_mmio(m, &m->mmio_lapic, LAPIC_MMIO_BASE, LAPIC_MMIO_LEN, &lapic_ops, m->lapic) ||
        machine_map_mmio(m, &m->mmio_ioapic, IOAPIC_MMIO_BASE, IOAPIC_MMIO_LEN, &ioapic_ops, m->ioapic))
        goto fail_after_devices;
    if (cfg->counters && machine_counters_enable(m))
        goto fail_after_devices;
    firmware_init(m);
    return m;

fail_after_devices:
    machine_destroy(m);
    return NULL;
fail_after_ram:
    ram_destroy(&m->ram);
fail_after_evq:
    evq_destroy(&m->q);
fail:
    free(m);
    return NULL;
}

void machine_destroy(struct machine *m)
{
    if (!m)
        return;
    debug_exit_destroy(m->dbg);
    cmos_rtc_destroy(m->rtc);
    acpi_pm_destroy(m->pm);
    fw_cfg_destroy(m->fwcfg);
    machine_nics_free(m);
    pci_host_destroy(m->pci);
    bios_destroy(m->bios);
    console_input_free(m);
    uart_destroy(m->uart);
    pit_destroy(m->pit);
    ioapic_destroy(m->ioapic);
    pic_destroy(m->pic);
    lapic_destroy(m->lapic);
    cpu_free(m->cpu);
    machine_counters_free(m);
    evq_destroy(&m->q);
    ram_destroy(&m->ram);
    free(m);
}

int machine_load_multiboot(struct machine *m, const struct mb_config *mb, char *err, size_t errlen)
{
    struct mb_image img;
    if (multiboot_load(m->ram.base, m->cfg.mem_bytes, mb, &img, err, errlen))
        return -1;
    if (cpu_enter_multiboot_state(m->cpu, MB_SCRATCH_PAGE, img.entry, MULTIBOOT_BOOTLOADER_MAGIC, img.info)) {
        snprintf(err, errlen, "%s: the CPU could not enter the multiboot state", mb->kernel);
        return -1;
    }
    return 0;
}

static void finish(struct machine *m, struct machine_result *res, enum machine_end end, int status)
{
    const struct cpu_fault *f = cpu_last_fault(m->cpu);
    res->end = end;
    res->exit_status = status;
    res->time = cpu_now(m->cpu);
    res->instructions = cpu_instructions(m->cpu);
    res->fault_vector = f->vector;
    res->fault_rip = f->rip;
    fflush(m->cfg.console);
    if (m->counters)
        machine_counters_end(m);
}

/* Nothing but observers is queued: no device can ever wake a halted CPU. */
static bool only_observers_queued(const struct machine *m)
{
    return m->q.n == (event_pending(&m->tick_ev) ? 1u : 0u);
}

bool machine_run_until(struct machine *m, vtime_t until, struct machine_result *res)
{
    for (;;) {
        sync_time(m);
        if (m->stopping)
            { finish(m, res, m->end, m->exit_status); return true; }
        if (m->tick_due) {
            /* Between CPU runs, at an instruction-block boundary: the state is whole. */
            m->tick_due = false;
            if (m->tick_fn(m->tick_opaque, m))
                { finish(m, res, MACHINE_END_OBSERVER, 1); return true; }
        }
        if (console_input_serve(m))
            { finish(m, res, MACHINE_END_OBSERVER, 1); return true; }
        vtime_t next = evq_next(&m->q);
        if (m->stop_flag && cpu_now(m->cpu) + m->stop_slice < next)
            next = cpu_now(m->cpu) + m->stop_slice;
        m->deadline = console_input_deadline(m, next < until ? next : until);
        uint64_t i0 = cpu_instructions(m->cpu);
        vtime_t t0 = cpu_now(m->cpu);
        enum cpu_exit why = cpu_run(m->cpu, cpu_cycles_at(m->cpu, m->deadline));
        if (m->counters)
            machine_counters_tick(m);
        if (m->trace && cpu_instructions(m->cpu) != i0)
            evtrace_run(m->trace, cpu_now(m->cpu), 0, 0, cpu_instructions(m->cpu) - i0, cpu_now(m->cpu) - t0);
        switch (why) {
        case CPU_EXIT_LIMIT:
            /* A stop from outside ends here, where a run given this `until`
             * would have ended: so the record of it replays (sim/replay.c). */
            if (cpu_now(m->cpu) >= until || (m->stop_flag && *m->stop_flag))
                return false;
            break;
        case CPU_EXIT_HALT:
            /* No deadline from outside and nothing queued here: nothing can wake it. */
            if (until == VTIME_NEVER && only_observers_queued(m))
                { finish(m, res, MACHINE_END_HUNG, 4); return true; }
            cpu_idle_until(m->cpu, cpu_cycles_at(m->cpu, m->deadline));
            if (m->deadline == until && cpu_now(m->cpu) >= until && evq_next(&m->q) > until)
                return false;
            if (m->stop_flag && *m->stop_flag && evq_next(&m->q) > cpu_now(m->cpu))
                return false; /* as above, and as the line before would for this time */
            break;
        case CPU_EXIT_STOP:
            break; /* m->stopping says why */
        case CPU_EXIT_TRIPLE_FAULT:
            { finish(m, res, MACHINE_END_TRIPLE_FAULT, 3); return true; }
        case CPU_EXIT_ERROR:
            { finish(m, res, MACHINE_END_ERROR, 1); return true; }
        }
    }
}

void machine_set_stop_flag(struct machine *m, const volatile sig_atomic_t *flag, vtime_t slice)
{
    m->stop_flag = flag;
    m->stop_slice = slice ? slice : 1;
}

void machine_result_time_limit(struct machine *m, struct machine_result *res)
{
    finish(m, res, MACHINE_END_TIME_LIMIT, 4);
}

void machine_set_tick(struct machine *m, vtime_t period, machine_tick_fn *fn, void *opaque)
{
    m->tick_fn = fn;
    m->tick_opaque = opaque;
    m->tick_period = period;
    m->tick_due = false;
    if (fn && period)
        evq_schedule(&m->q, &m->tick_ev, (m->q.now / period + 1) * period);
    else
        evq_cancel(&m->q, &m->tick_ev);
}

void machine_set_observer(struct machine *m, machine_event_fn *fn, void *opaque)
{
    m->observer = fn;
    m->observer_opaque = opaque;
}

struct cpu *machine_cpu(struct machine *m) { return m->cpu; }

const uint8_t *machine_ram(const struct machine *m, uint64_t *size)
{
    *size = m->ram.size;
    return m->ram.base;
}

void machine_set_trace(struct machine *m, struct evtrace *t)
{
    m->trace = t;
    /* The bare machine is domain 0 of the trace until a hypervisor makes domains. */
    if (t)
        evtrace_domain(t, cpu_now(m->cpu), 0, EVTRACE_DOM_CREATE, evtrace_string(t, "machine"));
}
vtime_t machine_now(const struct machine *m) { return cpu_now(m->cpu); }
uint64_t machine_instructions(const struct machine *m) { return cpu_instructions(m->cpu); }
uint64_t machine_hz(const struct machine *m) { return m->cfg.hz; }

int machine_state_devs(struct machine *m, const struct dev_ops **ops, void **opaque, int max)
{
    int n = 0;
    for (int i = 0; i < m->io.n && n < max; i++, n++) {
        ops[n] = m->io.regions[i].ops;
        opaque[n] = m->io.regions[i].opaque;
    }
    const struct mmio_dev *mm[] = { &m->mmio_lapic, &m->mmio_ioapic };
    for (int i = 0; i < 2 && n < max; i++, n++) {
        ops[n] = mm[i]->ops;
        opaque[n] = mm[i]->opaque;
    }
    return n + machine_nics_state(m, ops + n, opaque + n, max - n);
}
