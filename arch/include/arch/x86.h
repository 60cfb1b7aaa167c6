/* arch/x86.h: the x86 architecture as the Intel SDM names it, one copy for
 * hvsim's host code and the freestanding test kernels: control registers and
 * EFER (vol. 3A 2.5, 2.2.1), EFLAGS (vol. 1 3.4.3, vol. 3A 2.3), exception
 * vectors (vol. 3A 6.3.1, table 6-1), segment-descriptor bits (3.4.5), paging
 * entries and #PF error codes (4.5, 4.7), CPUID feature bits (vol. 2A CPUID)
 * and MSR numbers (vol. 4, chapter 2). Values only: usable from C and from
 * assembly, no dependency beyond <stdint.h>-level types. */
#ifndef ARCH_X86_H
#define ARCH_X86_H

/* A bit of a register: 64 bits wide in C, plain in assembly (gas rejects the
 * "ull" suffix). ARCH_BIT32 is for 32-bit words (CPUID, descriptors). */
#ifdef __ASSEMBLER__
#define ARCH_BIT(n) (1 << (n))
#define ARCH_BIT32(n) (1 << (n))
#else
#define ARCH_BIT(n) (1ull << (n))
#define ARCH_BIT32(n) (1u << (n))
#endif

/* CR0 (vol. 3A 2.5). */
#define CR0_PE ARCH_BIT(0)
#define CR0_MP ARCH_BIT(1)
#define CR0_EM ARCH_BIT(2)
#define CR0_TS ARCH_BIT(3)
#define CR0_ET ARCH_BIT(4)
#define CR0_NE ARCH_BIT(5)
#define CR0_WP ARCH_BIT(16)
#define CR0_AM ARCH_BIT(18)
#define CR0_NW ARCH_BIT(29)
#define CR0_CD ARCH_BIT(30)
#define CR0_PG ARCH_BIT(31)

/* CR4 (vol. 3A 2.5). */
#define CR4_VME ARCH_BIT(0)
#define CR4_PVI ARCH_BIT(1)
#define CR4_TSD ARCH_BIT(2)
#define CR4_DE ARCH_BIT(3)
#define CR4_PSE ARCH_BIT(4)
#define CR4_PAE ARCH_BIT(5)
#define CR4_MCE ARCH_BIT(6)
#define CR4_PGE ARCH_BIT(7)
#define CR4_PCE ARCH_BIT(8)
#define CR4_OSFXSR ARCH_BIT(9)
#define CR4_OSXMMEXCPT ARCH_BIT(10)
#define CR4_UMIP ARCH_BIT(11)
#define CR4_VMXE ARCH_BIT(13)
#define CR4_SMXE ARCH_BIT(14)
#define CR4_FSGSBASE ARCH_BIT(16)
#define CR4_PCIDE ARCH_BIT(17)
#define CR4_OSXSAVE ARCH_BIT(18)
#define CR4_SMEP ARCH_BIT(20)
#define CR4_SMAP ARCH_BIT(21)

/* IA32_EFER (vol. 3A 2.2.1). */
#define EFER_SCE ARCH_BIT(0)
#define EFER_LME ARCH_BIT(8)
#define EFER_LMA ARCH_BIT(10)
#define EFER_NXE ARCH_BIT(11)

/* EFLAGS (vol. 1 3.4.3, vol. 3A 2.3). Bit 1 is reserved and always reads 1. */
#define EFLAGS_CF ARCH_BIT(0)
#define EFLAGS_FIXED1 ARCH_BIT(1)
#define EFLAGS_PF ARCH_BIT(2)
#define EFLAGS_AF ARCH_BIT(4)
#define EFLAGS_ZF ARCH_BIT(6)
#define EFLAGS_SF ARCH_BIT(7)
#define EFLAGS_TF ARCH_BIT(8)
#define EFLAGS_IF ARCH_BIT(9)
#define EFLAGS_DF ARCH_BIT(10)
#define EFLAGS_OF ARCH_BIT(11)
#define EFLAGS_IOPL (3 * ARCH_BIT(12)) /* the field; IOPL 3 is all of it */
#define EFLAGS_NT ARCH_BIT(14)
#define EFLAGS_RF ARCH_BIT(16)
#define EFLAGS_VM ARCH_BIT(17)
#define EFLAGS_AC ARCH_BIT(18)
#define EFLAGS_VIF ARCH_BIT(19)
#define EFLAGS_VIP ARCH_BIT(20)
#define EFLAGS_ID ARCH_BIT(21)

/* IA32_DEBUGCTL (vol. 3B 17.4.1). */
#define DEBUGCTL_LBR ARCH_BIT(0)
#define DEBUGCTL_BTF ARCH_BIT(1)

/* Exception vectors with the SDM's mnemonics (vol. 3A 6.3.1, table 6-1). */
#define EXC_DE 0
#define EXC_DB 1
#define EXC_NMI 2
#define EXC_BP 3
#define EXC_OF 4
#define EXC_BR 5
#define EXC_UD 6
#define EXC_NM 7
#define EXC_DF 8
#define EXC_TS 10
#define EXC_NP 11
#define EXC_SS 12
#define EXC_GP 13
#define EXC_PF 14
#define EXC_MF 16
#define EXC_AC 17
#define EXC_MC 18
#define EXC_XM 19
#define EXC_VE 20

/* #PF error code (vol. 3A 4.7, figure 4-12). */
#define PF_P ARCH_BIT32(0)
#define PF_W ARCH_BIT32(1)
#define PF_U ARCH_BIT32(2)
#define PF_RSVD ARCH_BIT32(3)
#define PF_I ARCH_BIT32(4)

/* Paging-structure entries (vol. 3A 4.3-4.5; tables 4-4 to 4-20). */
#define PTE_P ARCH_BIT(0)
#define PTE_W ARCH_BIT(1)
#define PTE_U ARCH_BIT(2)
#define PTE_PWT ARCH_BIT(3)
#define PTE_PCD ARCH_BIT(4)
#define PTE_A ARCH_BIT(5)
#define PTE_D ARCH_BIT(6)
#define PTE_PS ARCH_BIT(7) /* a large page in a directory entry */
#define PTE_G ARCH_BIT(8)
#define PTE_NX ARCH_BIT(63) /* PAE and 4-level only, with EFER.NXE */
#define PTE_ADDR_MASK 0x000ffffffffff000ull

/* Segment descriptor, high doubleword (vol. 3A 3.4.5, figure 3-8): the flags as
 * they sit in bits 8-23 of that word. */
#define DESC_TYPE_SHIFT 8
#define DESC_A_MASK ARCH_BIT32(8)
#define DESC_R_MASK ARCH_BIT32(9) /* code: readable */
#define DESC_W_MASK ARCH_BIT32(9) /* data: writable */
#define DESC_C_MASK ARCH_BIT32(10) /* code: conforming */
#define DESC_CS_MASK ARCH_BIT32(11) /* code, not data */
#define DESC_S_MASK ARCH_BIT32(12)
#define DESC_DPL_SHIFT 13
#define DESC_P_MASK ARCH_BIT32(15)
#define DESC_L_MASK ARCH_BIT32(21)
#define DESC_B_MASK ARCH_BIT32(22)
#define DESC_G_MASK ARCH_BIT32(23)

/* CPUID feature bits (vol. 2A, CPUID): leaf 1 ECX/EDX, leaf 80000001h EDX. */
#define CPUID1_ECX_MONITOR ARCH_BIT32(3)
#define CPUID1_ECX_VMX ARCH_BIT32(5)
#define CPUID1_ECX_X2APIC ARCH_BIT32(21)
#define CPUID1_ECX_XSAVE ARCH_BIT32(26)
#define CPUID1_ECX_OSXSAVE ARCH_BIT32(27)
#define CPUID1_ECX_TSC_DEADLINE ARCH_BIT32(24)
#define CPUID1_ECX_RDRAND ARCH_BIT32(30)
#define CPUID1_ECX_HYPERVISOR ARCH_BIT32(31)
#define CPUID1_EDX_PSE ARCH_BIT32(3)
#define CPUID1_EDX_TSC ARCH_BIT32(4)
#define CPUID1_EDX_MSR ARCH_BIT32(5)
#define CPUID1_EDX_PAE ARCH_BIT32(6)
#define CPUID1_EDX_MCE ARCH_BIT32(7)
#define CPUID1_EDX_APIC ARCH_BIT32(9)
#define CPUID1_EDX_SEP ARCH_BIT32(11)
#define CPUID1_EDX_MTRR ARCH_BIT32(12)
#define CPUID1_EDX_MCA ARCH_BIT32(14)
#define CPUID1_EDX_PAT ARCH_BIT32(16)
#define CPUID81_EDX_SYSCALL ARCH_BIT32(11)
#define CPUID81_EDX_NX ARCH_BIT32(20)
#define CPUID81_EDX_1GB ARCH_BIT32(26)
#define CPUID81_EDX_LM ARCH_BIT32(29)
#define CPUID81_EDX_RDTSCP ARCH_BIT32(27)
#define CPUID7_EBX_RDSEED ARCH_BIT32(18) /* leaf 7 subleaf 0 */
#define CPUID7_ECX_RDPID ARCH_BIT32(22)

/* MSR numbers with the SDM's names (vol. 4, table 2-2). The VMX capability
 * MSRs are in arch/vmx.h. */
#define MSR_IA32_TSC 0x00000010
#define MSR_IA32_PLATFORM_ID 0x00000017
#define MSR_IA32_APIC_BASE 0x0000001b
#define MSR_IA32_FEATURE_CONTROL 0x0000003a
#define MSR_IA32_BIOS_SIGN_ID 0x0000008b
#define MSR_IA32_MTRRCAP 0x000000fe
#define MSR_IA32_SYSENTER_CS 0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_MCG_CAP 0x00000179
#define MSR_IA32_MCG_STATUS 0x0000017a
#define MSR_IA32_MISC_ENABLE 0x000001a0
#define MSR_PLATFORM_INFO 0x000000ce /* model-specific: maximum non-turbo ratio (bits 15:8) */
#define MSR_IA32_DEBUGCTL 0x000001d9
#define MSR_IA32_MTRR_PHYSBASE0 0x00000200
#define MSR_IA32_MTRR_FIX64K_00000 0x00000250
#define MSR_IA32_MTRR_FIX16K_80000 0x00000258
#define MSR_IA32_MTRR_FIX16K_A0000 0x00000259
#define MSR_IA32_MTRR_FIX4K_C0000 0x00000268
#define MSR_IA32_PAT 0x00000277
#define MSR_IA32_MTRR_DEF_TYPE 0x000002ff
#define MSR_IA32_TSC_DEADLINE 0x000006e0
#define MSR_X2APIC_FIRST 0x00000800 /* x2APIC registers: 800h-8ffh (vol. 3A 11.12.1) */
#define MSR_X2APIC_LAST 0x000008ff
#define MSR_IA32_EFER 0xc0000080
#define MSR_IA32_STAR 0xc0000081
#define MSR_IA32_LSTAR 0xc0000082
#define MSR_IA32_CSTAR 0xc0000083
#define MSR_IA32_FMASK 0xc0000084
#define MSR_IA32_FS_BASE 0xc0000100
#define MSR_IA32_GS_BASE 0xc0000101
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC_AUX 0xc0000103

/* IA32_APIC_BASE (vol. 3A 11.4.4). */
#define APIC_BASE_BSP ARCH_BIT(8)
#define APIC_BASE_EXTD ARCH_BIT(10) /* x2APIC mode */
#define APIC_BASE_EN ARCH_BIT(11)

/* IA32_FEATURE_CONTROL (vol. 3C 23.7). */
#define FEATURE_CONTROL_LOCK ARCH_BIT(0)
#define FEATURE_CONTROL_VMX_SMX ARCH_BIT(1) /* VMXON inside SMX */
#define FEATURE_CONTROL_VMX ARCH_BIT(2)     /* VMXON outside SMX */

#endif
