#!/usr/bin/env python3
"""The scripted rename of issue 10 item 3: the names klib/ and the test kernels
used before arch/ existed, mapped to the arch/ names. Run once on the tree
(arch_rename.py FILE...); --check verifies that every pair has the same value
(the old one from git at the commit before arch/, the new one from arch/*.h)."""
import re, sys

M = {}
def m(old, new): M[old] = new

# arch/x86.h
for f in 'IF DF TF AC'.split(): m('FL_' + f, 'EFLAGS_' + f)
m('FL_IOPL3', 'EFLAGS_IOPL'); m('FL_RESERVED1', 'EFLAGS_FIXED1')
for v in 'DE DB BP UD DF TS NP SS GP PF'.split(): m('T_' + v, 'EXC_' + v)
for n in ('TSC APIC_BASE MTRRCAP SYSENTER_CS SYSENTER_ESP SYSENTER_EIP PAT TSC_DEADLINE EFER STAR '
          'LSTAR FMASK FS_BASE GS_BASE FEATURE_CONTROL MTRR_DEF_TYPE').split():
    m('MSR_' + n, 'MSR_IA32_' + n)
m('MSR_X2APIC_BASE', 'MSR_X2APIC_FIRST')
m('CPUID1_ECX_TSCDL', 'CPUID1_ECX_TSC_DEADLINE')
# arch/vmx.h: capability MSRs
for n in ('BASIC PINBASED_CTLS PROCBASED_CTLS EXIT_CTLS ENTRY_CTLS MISC CR0_FIXED0 CR0_FIXED1 '
          'CR4_FIXED0 CR4_FIXED1 VMCS_ENUM PROCBASED_CTLS2 EPT_VPID_CAP').split():
    m('MSR_VMX_' + n, 'MSR_IA32_VMX_' + n)
for n in 'PINBASED PROCBASED EXIT ENTRY'.split(): m('MSR_VMX_TRUE_' + n, 'MSR_IA32_VMX_TRUE_' + n + '_CTLS')
# VMCS encodings whose names differ
for o, n in [('IO_BITMAP_A', 'CTRL_IO_BITMAP_A'), ('IO_BITMAP_B', 'CTRL_IO_BITMAP_B'),
             ('MSR_BITMAP', 'CTRL_MSR_BITMAP'), ('EXIT_MSR_STORE_ADDR', 'CTRL_EXIT_MSR_STORE_ADDR'),
             ('EXIT_MSR_LOAD_ADDR', 'CTRL_EXIT_MSR_LOAD_ADDR'), ('ENTRY_MSR_LOAD_ADDR', 'CTRL_ENTRY_MSR_LOAD_ADDR'),
             ('TSC_OFFSET', 'CTRL_TSC_OFFSET'), ('EPT_POINTER', 'CTRL_EPTP'), ('PIN_CONTROLS', 'CTRL_PIN_BASED'),
             ('PROC_CONTROLS', 'CTRL_PROC_BASED'), ('EXCEPTION_BITMAP', 'CTRL_EXCEPTION_BITMAP'),
             ('PF_ERROR_MASK', 'CTRL_PF_ERROR_CODE_MASK'), ('PF_ERROR_MATCH', 'CTRL_PF_ERROR_CODE_MATCH'),
             ('CR3_TARGET_COUNT', 'CTRL_CR3_TARGET_COUNT'), ('EXIT_CONTROLS', 'CTRL_EXIT'),
             ('EXIT_MSR_STORE_COUNT', 'CTRL_EXIT_MSR_STORE_COUNT'), ('EXIT_MSR_LOAD_COUNT', 'CTRL_EXIT_MSR_LOAD_COUNT'),
             ('ENTRY_CONTROLS', 'CTRL_ENTRY'), ('ENTRY_MSR_LOAD_COUNT', 'CTRL_ENTRY_MSR_LOAD_COUNT'),
             ('ENTRY_INTR_INFO', 'CTRL_ENTRY_INTR_INFO'), ('ENTRY_EXCEPTION_ERROR', 'CTRL_ENTRY_EXCEPTION_ERROR_CODE'),
             ('ENTRY_INSTRUCTION_LEN', 'CTRL_ENTRY_INSTRUCTION_LEN'), ('PROC_CONTROLS2', 'CTRL_PROC_BASED2'),
             ('EXIT_INTR_ERROR', 'EXIT_INTR_ERROR_CODE'), ('IDT_VECTORING_ERROR', 'IDT_VECTORING_ERROR_CODE'),
             ('PREEMPTION_TIMER', 'GUEST_PREEMPTION_TIMER'), ('CR0_MASK', 'CTRL_CR0_MASK'),
             ('CR4_MASK', 'CTRL_CR4_MASK'), ('CR0_READ_SHADOW', 'CTRL_CR0_READ_SHADOW'),
             ('CR4_READ_SHADOW', 'CTRL_CR4_READ_SHADOW'), ('GUEST_PENDING_DBG', 'GUEST_PENDING_DBG_EXCEPTIONS')]:
    m('VMCS_' + o, 'VMCS_' + n)
# controls
for o, n in [('PIN_EXTERNAL_INTERRUPT', 'VMX_PIN_EXT_INTR_EXITING'), ('PIN_NMI_EXITING', 'VMX_PIN_NMI_EXITING'),
             ('PIN_PREEMPTION_TIMER', 'VMX_PIN_PREEMPTION_TIMER'),
             ('PROC_INTERRUPT_WINDOW', 'VMX_PROC_INTR_WINDOW_EXITING'), ('PROC_TSC_OFFSETTING', 'VMX_PROC_TSC_OFFSETTING'),
             ('PROC_HLT', 'VMX_PROC_HLT_EXITING'), ('PROC_INVLPG', 'VMX_PROC_INVLPG_EXITING'),
             ('PROC_RDTSC', 'VMX_PROC_RDTSC_EXITING'), ('PROC_CR3_LOAD', 'VMX_PROC_CR3_LOAD_EXITING'),
             ('PROC_CR3_STORE', 'VMX_PROC_CR3_STORE_EXITING'), ('PROC_UNCOND_IO', 'VMX_PROC_UNCOND_IO_EXITING'),
             ('PROC_IO_BITMAPS', 'VMX_PROC_USE_IO_BITMAPS'), ('PROC_MSR_BITMAPS', 'VMX_PROC_USE_MSR_BITMAPS'),
             ('PROC_SECONDARY', 'VMX_PROC_ACTIVATE_SECONDARY'),
             ('PROC2_EPT', 'VMX_PROC2_ENABLE_EPT'), ('PROC2_VPID', 'VMX_PROC2_ENABLE_VPID'),
             ('EXIT_SAVE_DEBUG', 'VMX_EXIT_SAVE_DEBUG_CONTROLS'), ('EXIT_HOST_64', 'VMX_EXIT_HOST_ADDR_SPACE_SIZE'),
             ('EXIT_ACK_INTERRUPT', 'VMX_EXIT_ACK_INTR_ON_EXIT'), ('EXIT_SAVE_EFER', 'VMX_EXIT_SAVE_EFER'),
             ('EXIT_LOAD_EFER', 'VMX_EXIT_LOAD_EFER'), ('EXIT_SAVE_TIMER', 'VMX_EXIT_SAVE_PREEMPTION_TIMER'),
             ('ENTRY_LOAD_DEBUG', 'VMX_ENTRY_LOAD_DEBUG_CONTROLS'), ('ENTRY_IA32E_GUEST', 'VMX_ENTRY_IA32E_MODE_GUEST'),
             ('ENTRY_LOAD_EFER', 'VMX_ENTRY_LOAD_EFER'),
             ('INTR_INFO_VALID', 'VMX_INTR_INFO_VALID'), ('INTR_INFO_DELIVER_ERROR', 'VMX_INTR_INFO_DELIVER_ERROR_CODE'),
             ('INTR_TYPE_EXTERNAL', 'VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_EXT_INTR)'),
             ('INTR_TYPE_NMI', 'VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_NMI)'),
             ('INTR_TYPE_HW_EXCEPTION', 'VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_HW_EXCEPTION)'),
             ('INTR_TYPE_SW_INTERRUPT', 'VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_SW_INTR)'),
             ('INTR_TYPE_SW_EXCEPTION', 'VMX_INTR_INFO_TYPE(VMX_INTR_TYPE_SW_EXCEPTION)'),
             ('EXIT_REASON_EXTERNAL_INTR', 'EXIT_REASON_EXTERNAL_INTERRUPT'), ('EXIT_REASON_IO', 'EXIT_REASON_IO_INSTRUCTION'),
             ('EXIT_REASON_INVALID_GUEST', 'EXIT_REASON_INVALID_GUEST_STATE'),
             ('VMERR_VMCALL_IN_ROOT', 'VMXERR_VMCALL_IN_ROOT'), ('VMERR_VMCLEAR_BAD_ADDR', 'VMXERR_VMCLEAR_INVALID_ADDRESS'),
             ('VMERR_VMCLEAR_VMXON_PTR', 'VMXERR_VMCLEAR_VMXON_POINTER'), ('VMERR_VMLAUNCH_NOT_CLEAR', 'VMXERR_VMLAUNCH_NONCLEAR_VMCS'),
             ('VMERR_VMRESUME_NOT_LAUNCHED', 'VMXERR_VMRESUME_NONLAUNCHED_VMCS'),
             ('VMERR_ENTRY_BAD_CONTROLS', 'VMXERR_ENTRY_INVALID_CONTROL_FIELD'),
             ('VMERR_ENTRY_BAD_HOST_STATE', 'VMXERR_ENTRY_INVALID_HOST_STATE_FIELD'),
             ('VMERR_VMPTRLD_BAD_ADDR', 'VMXERR_VMPTRLD_INVALID_ADDRESS'), ('VMERR_VMPTRLD_VMXON_PTR', 'VMXERR_VMPTRLD_VMXON_POINTER'),
             ('VMERR_VMPTRLD_BAD_REVISION', 'VMXERR_VMPTRLD_INCORRECT_REVISION'),
             ('VMERR_UNSUPPORTED_FIELD', 'VMXERR_UNSUPPORTED_VMCS_COMPONENT'),
             ('VMERR_READ_ONLY_FIELD', 'VMXERR_VMWRITE_READ_ONLY_COMPONENT'), ('VMERR_VMXON_IN_ROOT', 'VMXERR_VMXON_IN_ROOT'),
             ('QUAL_EPT_READ', 'EPT_QUAL_READ'), ('QUAL_EPT_WRITE', 'EPT_QUAL_WRITE'), ('QUAL_EPT_FETCH', 'EPT_QUAL_FETCH'),
             ('QUAL_EPT_READABLE', 'EPT_QUAL_READABLE'), ('QUAL_EPT_WRITABLE', 'EPT_QUAL_WRITABLE'),
             ('QUAL_EPT_EXECUTABLE', 'EPT_QUAL_EXECUTABLE'), ('QUAL_EPT_LINEAR_VALID', 'EPT_QUAL_GLA_VALID'),
             ('QUAL_EPT_FINAL', 'EPT_QUAL_GLA_TRANSLATION'), ('EPT_LARGE', 'EPT_PS')]:
    m(o, n)

# arch/pc.h (klib/memlayout.h's names before)
for o, n in [('PORT_PIC1', 'PIC_MASTER_PORT'), ('PORT_PIC2', 'PIC_SLAVE_PORT'), ('PORT_PIT', 'PIT_PORT'),
             ('PORT_CMOS', 'CMOS_RTC_PORT'), ('PORT_DEBUG_EXIT', 'DEBUG_EXIT_PORT'), ('PORT_COM1', 'COM1_PORT'),
             ('IOAPIC_BASE', 'IOAPIC_MMIO_BASE'), ('LAPIC_BASE', 'LAPIC_MMIO_BASE'),
             ('BIOS_ROM_START', 'ACPI_RSDP_AREA_START'), ('BIOS_ROM_END', 'ACPI_RSDP_AREA_END')]:
    m(o, n)

PAT = re.compile(r'\b(' + '|'.join(sorted(M, key=len, reverse=True)) + r')\b')

def rename(text):
    return PAT.sub(lambda g: M[g.group(1)], text)

if __name__ == '__main__' and sys.argv[1:2] == ['--check']:
    pass
elif __name__ == '__main__':
    for path in sys.argv[1:]:
        s = open(path).read()
        t = rename(s)
        if t != s:
            open(path, 'w').write(t)


def check(commit):
    """Every object-like #define of the old headers, renamed, has the same value
    in arch/ (compiled and printed by the host compiler)."""
    import os, subprocess, tempfile
    old = ['klib/include/klib/memlayout.h', 'klib/include/klib/x86.h', 'klib/include/klib/vmx.h', 'klib/include/klib/trap.h',
           'klib/include/klib/paging.h', 'cpu/vmx/include/vmx/vmcs_fields.h',
           'cpu/vmx/include/vmx/vmx_arch.h', 'cpu/vmx/include/vmx/ept.h']
    extra = {'X86_CR0_': 'CR0_', 'X86_CR4_': 'CR4_', 'X86_EFER_': 'EFER_', 'X86_RFLAGS_': 'EFLAGS_',
             'X86_DEBUGCTL_': 'DEBUGCTL_'}
    d = tempfile.mkdtemp()
    pairs = []
    for i, p in enumerate(old):
        text = subprocess.run(['git', 'show', f'{commit}:{p}'], capture_output=True, text=True, check=True).stdout
        hdr = os.path.join(d, f'old{i}.h')
        open(hdr, 'w').write(re.sub(r'#include "vmx/.*\n', '', text))
        for name in re.findall(r'^#define (\w+)[ \t]+\S', text, re.M):
            if name.endswith('_H') or name in ('BIT',):
                continue
            new = M.get(name, name)
            for a, b in extra.items():
                if new.startswith(a):
                    new = b + new[len(a):]
            pairs.append((name, new))
    def prog(includes, names):
        body = ''.join(f'printf("%llu\\n", (unsigned long long)({n}));\n' for n in names)
        return '#include <stdio.h>\n#include <stdbool.h>\n' + includes + 'int main(void){\n' + body + 'return 0;}\n'
    def run(src, incdirs):
        c = os.path.join(d, 'p.c'); exe = os.path.join(d, 'p')
        open(c, 'w').write(src)
        subprocess.run(['cc', '-w', '-o', exe, c] + [f'-I{x}' for x in incdirs], check=True)
        return subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split()
    olds = {}
    for i, p in enumerate(old):  # one program per old header: they disagree with each other
        names = [o for o, _ in pairs if re.search(rf'^#define {o}\b', open(os.path.join(d, f'old{i}.h')).read(), re.M)]
        for n, v in zip(names, run(prog(f'#include "old{i}.h"\n', names), [d])):
            olds[n] = v
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    arch = ''.join(open(os.path.join(root, 'arch/include/arch', h)).read() for h in ('x86.h', 'vmx.h', 'pc.h'))
    kept = sorted({o for o, n in pairs if not re.search(rf'(#define |^    ){n.split("(")[0]}\b', arch, re.M)})
    print('not in arch/ (kept where they were):', ' '.join(kept))
    pairs = [(o, n) for o, n in pairs if o not in kept]
    news = run(prog('#include "arch/vmx.h"\n#include "arch/pc.h"\n', [n for _, n in pairs]), [os.path.join(root, 'arch/include')])
    bad = 0
    for (o, n), v in zip(pairs, news):
        if olds[o] != v:
            print(f'MISMATCH {o}={olds[o]} {n}={v}'); bad += 1
    print(f'{len(pairs)} names checked, {bad} mismatches')
    return bad == 0


if __name__ == '__main__' and sys.argv[1:2] == ['--check']:
    sys.exit(0 if check(sys.argv[2] if len(sys.argv) > 2 else 'eb441bb') else 1)
