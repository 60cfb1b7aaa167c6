/* trap.c: the C side of every interrupt and exception: per-vector handlers, the
 * exception table, and a report for anything unexpected. */
#include "klib/console.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

struct extable_entry {
    uintptr_t from, to;
};
extern const struct extable_entry __extable_start[], __extable_end[];

static trap_handler_fn *handlers[256];
volatile struct fault_record fault_last;
volatile unsigned long fault_count;

void trap(struct trapframe *tf);

void trap_set_handler(int vec, trap_handler_fn *fn)
{
    handlers[vec] = fn;
}

int trap_fixup(struct trapframe *tf)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->from != tf->ip)
            continue;
        fault_last.vector = tf->trapno;
        fault_last.err = tf->err;
        fault_last.ip = tf->ip;
        fault_last.cr2 = tf->trapno == T_PF ? read_cr2() : 0;
        fault_count++;
        tf->ip = e->to;
        return 1;
    }
    return 0;
}

void trap_dump(const struct trapframe *tf)
{
    kprintf("trap %lu err %#lx at %04lx:%#lx flags %#lx cr2 %#lx\n", (unsigned long)tf->trapno,
            (unsigned long)tf->err, (unsigned long)tf->cs, (unsigned long)tf->ip,
            (unsigned long)tf->flags, (unsigned long)read_cr2());
    kprintf("  ax %#lx bx %#lx cx %#lx dx %#lx si %#lx di %#lx bp %#lx\n", (unsigned long)tf->ax,
            (unsigned long)tf->bx, (unsigned long)tf->cx, (unsigned long)tf->dx,
            (unsigned long)tf->si, (unsigned long)tf->di, (unsigned long)tf->bp);
}

static void fixup_or_die(struct trapframe *tf)
{
    if (trap_fixup(tf))
        return;
    kprintf("unexpected fault outside the exception table:\n");
    trap_dump(tf);
    hv_exit(EXIT_UNEXPECTED);
}

void trap_catch(int vec)
{
    handlers[vec] = fixup_or_die;
}

void trap(struct trapframe *tf)
{
    trap_handler_fn *fn = handlers[tf->trapno & 0xff];
    if (fn) {
        fn(tf);
        return;
    }
    kprintf("unexpected trap:\n");
    trap_dump(tf);
    hv_exit(EXIT_UNEXPECTED);
}
