/* Tests for the VMCS field table: encodings against SDM appendix B, widths and
 * types from the encoding bits, lookup rules of 24.11.2, read-only fields. */
#include <criterion/criterion.h>

#include "vmx/vmcs.h"
#include "vmx/vmcs_fields.h"

/* Encodings typed from SDM appendix B tables B-1..B-12, independent of the macros. */
static const struct {
    uint32_t enc;
    unsigned width, type;
} sdm[] = {
    { 0x0000, VMCS_WIDTH_16, VMCS_TYPE_CONTROL },      /* VPID */
    { 0x0802, VMCS_WIDTH_16, VMCS_TYPE_GUEST },        /* guest CS selector */
    { 0x080e, VMCS_WIDTH_16, VMCS_TYPE_GUEST },        /* guest TR selector */
    { 0x0c0c, VMCS_WIDTH_16, VMCS_TYPE_HOST },         /* host TR selector */
    { 0x2000, VMCS_WIDTH_64, VMCS_TYPE_CONTROL },      /* I/O bitmap A */
    { 0x2010, VMCS_WIDTH_64, VMCS_TYPE_CONTROL },      /* TSC offset */
    { 0x201a, VMCS_WIDTH_64, VMCS_TYPE_CONTROL },      /* EPTP */
    { 0x2400, VMCS_WIDTH_64, VMCS_TYPE_EXIT_INFO },    /* guest-physical address */
    { 0x2800, VMCS_WIDTH_64, VMCS_TYPE_GUEST },        /* VMCS link pointer */
    { 0x2806, VMCS_WIDTH_64, VMCS_TYPE_GUEST },        /* guest EFER */
    { 0x2810, VMCS_WIDTH_64, VMCS_TYPE_GUEST },        /* PDPTE3 */
    { 0x2c02, VMCS_WIDTH_64, VMCS_TYPE_HOST },         /* host EFER */
    { 0x4000, VMCS_WIDTH_32, VMCS_TYPE_CONTROL },      /* pin-based controls */
    { 0x401e, VMCS_WIDTH_32, VMCS_TYPE_CONTROL },      /* secondary controls */
    { 0x4402, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO },    /* exit reason */
    { 0x440e, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO },    /* instruction info */
    { 0x4816, VMCS_WIDTH_32, VMCS_TYPE_GUEST },        /* guest CS AR */
    { 0x4826, VMCS_WIDTH_32, VMCS_TYPE_GUEST },        /* activity state */
    { 0x482e, VMCS_WIDTH_32, VMCS_TYPE_GUEST },        /* preemption timer */
    { 0x4c00, VMCS_WIDTH_32, VMCS_TYPE_HOST },         /* host SYSENTER_CS */
    { 0x6000, VMCS_WIDTH_NATURAL, VMCS_TYPE_CONTROL }, /* CR0 mask */
    { 0x600e, VMCS_WIDTH_NATURAL, VMCS_TYPE_CONTROL }, /* CR3 target 3 */
    { 0x6400, VMCS_WIDTH_NATURAL, VMCS_TYPE_EXIT_INFO }, /* exit qualification */
    { 0x640a, VMCS_WIDTH_NATURAL, VMCS_TYPE_EXIT_INFO }, /* guest-linear address */
    { 0x681e, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST },   /* guest RIP */
    { 0x6826, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST },   /* guest SYSENTER_EIP */
    { 0x6c16, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST },    /* host RIP */
};

Test(vmcs_fields, sdm_encodings_have_the_sdm_width_and_type)
{
    for (size_t i = 0; i < sizeof sdm / sizeof sdm[0]; i++) {
        const struct vmcs_field *f = vmcs_field_find(sdm[i].enc);
        cr_assert_not_null(f, "0x%04x missing", sdm[i].enc);
        cr_assert_eq(f->encoding, sdm[i].enc);
        cr_assert_eq(f->width, sdm[i].width, "0x%04x width", sdm[i].enc);
        cr_assert_eq(f->type, sdm[i].type, "0x%04x type", sdm[i].enc);
    }
}

Test(vmcs_fields, macros_match_appendix_b)
{
    cr_assert_eq(VMCS_GUEST_RIP, 0x681e);
    cr_assert_eq(VMCS_GUEST_RFLAGS, 0x6820);
    cr_assert_eq(VMCS_EXIT_REASON, 0x4402);
    cr_assert_eq(VMCS_EXIT_QUALIFICATION, 0x6400);
    cr_assert_eq(VMCS_VM_INSTRUCTION_ERROR, 0x4400);
    cr_assert_eq(VMCS_CTRL_PIN_BASED, 0x4000);
    cr_assert_eq(VMCS_CTRL_PROC_BASED2, 0x401e);
    cr_assert_eq(VMCS_CTRL_EPTP, 0x201a);
    cr_assert_eq(VMCS_LINK_POINTER, 0x2800);
    cr_assert_eq(VMCS_GUEST_INTERRUPTIBILITY, 0x4824);
    cr_assert_eq(VMCS_GUEST_PREEMPTION_TIMER, 0x482e);
    cr_assert_eq(VMCS_HOST_RIP, 0x6c16);
    cr_assert_eq(VMCS_GUEST_IDTR_LIMIT, 0x4812);
    cr_assert_eq(VMCS_GUEST_TR_AR, 0x4822);
}

Test(vmcs_fields, table_is_consistent_and_fits_the_region)
{
    unsigned n = vmcs_field_count();
    cr_assert_eq(n, 128);
    for (unsigned i = 0; i < n; i++) {
        const struct vmcs_field *f = vmcs_field_at(i);
        cr_assert_eq(f->width, VMCS_ENC_WIDTH(f->encoding));
        cr_assert_eq(f->type, VMCS_ENC_TYPE(f->encoding));
        cr_assert_eq(f->encoding & 1, 0);
        cr_assert_eq(f->offset, VMCS_OFF_FIELDS + 8 * i);
        cr_assert_leq(f->offset + 8, VMCS_REGION_SIZE);
        cr_assert(f->name && f->name[0]);
        cr_assert_eq(vmcs_field_find(f->encoding), f);
        for (unsigned j = 0; j < i; j++)
            cr_assert_neq(vmcs_field_at(j)->encoding, f->encoding);
    }
    cr_assert_null(vmcs_field_at(n));
}

Test(vmcs_fields, high_access_only_for_64_bit_fields)
{
    cr_assert_eq(vmcs_field_find(VMCS_CTRL_TSC_OFFSET | 1), vmcs_field_find(VMCS_CTRL_TSC_OFFSET));
    cr_assert_not_null(vmcs_field_find(VMCS_GUEST_PHYSICAL_ADDRESS | 1));
    cr_assert_null(vmcs_field_find(VMCS_GUEST_RIP | 1));
    cr_assert_null(vmcs_field_find(VMCS_EXIT_REASON | 1));
    cr_assert_null(vmcs_field_find(VMCS_GUEST_CS_SELECTOR | 1));
}

Test(vmcs_fields, reserved_encoding_bits_name_nothing)
{
    cr_assert_null(vmcs_field_find(VMCS_GUEST_RIP | 0x1000));           /* bit 12 */
    cr_assert_null(vmcs_field_find(VMCS_GUEST_RIP | 0x8000));           /* bit 15 */
    cr_assert_null(vmcs_field_find(VMCS_GUEST_RIP | 0x100000000ull));   /* bit 32 */
    cr_assert_null(vmcs_field_find(0x4840));                            /* index 32 */
}

Test(vmcs_fields, unadvertised_features_have_no_fields)
{
    cr_assert_not_null(vmcs_field_find(0x2804)); /* guest IA32_PAT: PAT load/save are advertised */
    cr_assert_not_null(vmcs_field_find(0x2c00)); /* host IA32_PAT */
    cr_assert_null(vmcs_field_find(0x2808)); /* guest PERF_GLOBAL_CTRL */
    cr_assert_null(vmcs_field_find(0x2012)); /* virtual-APIC address */
    cr_assert_null(vmcs_field_find(0x401c)); /* TPR threshold */
    cr_assert_null(vmcs_field_find(0x2018)); /* VM-function controls */
    cr_assert_null(vmcs_field_find(0x0810)); /* guest interrupt status */
}

Test(vmcs_fields, exit_information_is_read_only_unless_misc_29)
{
    unsigned ro = 0;
    for (unsigned i = 0; i < vmcs_field_count(); i++) {
        const struct vmcs_field *f = vmcs_field_at(i);
        bool want = f->type == VMCS_TYPE_EXIT_INFO;
        cr_assert_eq(vmcs_field_is_read_only(f, false), want, "%s", f->name);
        cr_assert_not(vmcs_field_is_read_only(f, true));
        ro += want;
    }
    cr_assert_eq(ro, 15); /* 1 of 64 bits, 8 of 32 bits, 6 natural */
}

Test(vmcs_fields, highest_index_is_the_preemption_timer)
{
    cr_assert_eq(vmcs_field_highest_index(), VMCS_ENC_INDEX(VMCS_GUEST_PREEMPTION_TIMER));
    cr_assert_eq(vmcs_field_highest_index(), 23);
}

Test(vmcs_fields, masks_follow_width)
{
    cr_assert_eq(vmcs_field_mask(vmcs_field_find(VMCS_GUEST_CS_SELECTOR)), 0xffff);
    cr_assert_eq(vmcs_field_mask(vmcs_field_find(VMCS_EXIT_REASON)), 0xffffffff);
    cr_assert_eq(vmcs_field_mask(vmcs_field_find(VMCS_CTRL_EPTP)), ~0ull);
    cr_assert_eq(vmcs_field_mask(vmcs_field_find(VMCS_GUEST_RIP)), ~0ull);
}
