/* The VT-x constants (arch/vmx.h) and the model's view of physical memory,
 * which every part of the VT-x core reads through. */
#ifndef VMX_VMX_ARCH_H
#define VMX_VMX_ARCH_H

#include <stdint.h>

#include "arch/vmx.h"

/* Physical memory as the model reads it (VMCS link pointer, PDPTEs, EPT entries).
 * Reads of addresses outside RAM return all ones, as the platform's bus does;
 * reads are 8 bytes at an 8-byte aligned address. */
struct vmx_mem {
    uint64_t (*read64)(void *opaque, uint64_t pa);
    void *opaque;
};

#endif
