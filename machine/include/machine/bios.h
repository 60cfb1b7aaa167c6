/* The machine's small PC BIOS (docs/bios.md): the interrupt vector table, the
 * BIOS data area and EBDA as SeaBIOS leaves them before a boot loader runs, a
 * ROM at 0xf0000 whose stubs reach hvsim through one I/O port, and the
 * real-mode services boot code asks for (INT 10h-16h). */
#ifndef MACHINE_BIOS_H
#define MACHINE_BIOS_H

#include <stdint.h>

#include "arch/pc.h"
#include "cpu/cpu.h"
#include "devices/dev.h"

#define BIOS_ROM_SEG ((uint16_t)(BIOS_ROM_BASE >> 4)) /* the ROM's real-mode segment */
#define BIOS_STUBS 0xe100u        /* offset of the service stubs (INT 10h first) in the ROM segment */
#define BIOS_STUB_SIZE 16
#define BIOS_EQUIPMENT 0x0202u    /* one serial port (bits 9-11), FPU (bit 1), no VGA */

/* Fill the IVT, BDA, EBDA and ROM in ram (at least 1 MiB). */
void bios_install(uint8_t *ram, uint64_t ram_size);

/* The service port. Its writes run a service on the register frame the stub
 * pushed, in guest RAM; it keeps no state of its own. */
struct bios;
struct bios *bios_create(struct cpu *cpu, uint8_t *ram, uint64_t ram_size);
void bios_destroy(struct bios *b);
extern const struct dev_ops bios_call_ops;

/* The register frame a stub pushes (SeaBIOS's struct bregs): ES and DS, then
 * PUSHAD's EDI..EAX, then the interrupt's IP, CS and FLAGS. */
struct bios_regs {
    uint16_t es, ds;
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint16_t ip, cs, flags;
} __attribute__((packed));

/* Run service `vector` on regs, with low memory at ram. The unit the port
 * calls; exposed for unit tests. */
void bios_service(uint8_t *ram, uint64_t ram_size, int vector, struct bios_regs *regs);

#endif
