/* Tests for the VMCS region: header words, launch state, VMREAD/VMWRITE width
 * and error rules (SDM 30.3), and the documented byte layout. */
#include <criterion/criterion.h>
#include <string.h>

#include "vmx/vmcs.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_arch.h"

static uint8_t region[VMCS_REGION_SIZE];

static void zero(void)
{
    memset(region, 0, sizeof region);
}

TestSuite(vmcs, .init = zero);

Test(vmcs, revision_and_abort_words)
{
    vmcs_revision_set(region, 0x48560001);
    cr_assert_eq(region[0], 0x01);
    cr_assert_eq(region[3], 0x48);
    cr_assert(vmcs_revision_matches(region, 0x48560001));
    cr_assert_not(vmcs_revision_matches(region, 0x48560002));
    vmcs_revision_set(region, 0x48560001 | VMCS_REVISION_SHADOW);
    cr_assert_not(vmcs_revision_matches(region, 0x48560001));
    vmcs_abort_set(region, 3);
    cr_assert_eq(vmcs_abort_get(region), 3);
    cr_assert_eq(region[VMCS_OFF_ABORT], 3);
}

Test(vmcs, launch_state_lives_in_the_region)
{
    cr_assert_eq(vmcs_launch_state_get(region), VMCS_LAUNCH_CLEAR);
    vmcs_launch_state_set(region, VMCS_LAUNCH_LAUNCHED);
    cr_assert_eq(region[VMCS_OFF_LAUNCH_STATE], 1);

    /* "VMCLEAR, then VMPTRLD of the same page": the state comes from memory. */
    uint8_t copy[VMCS_REGION_SIZE];
    memcpy(copy, region, sizeof copy);
    cr_assert_eq(vmcs_launch_state_get(copy), VMCS_LAUNCH_LAUNCHED);
    vmcs_set(region, VMCS_GUEST_RIP, 0x1234);
    vmcs_clear(region);
    cr_assert_eq(vmcs_launch_state_get(region), VMCS_LAUNCH_CLEAR);
    cr_assert_eq(vmcs_get(region, VMCS_GUEST_RIP), 0x1234, "VMCLEAR keeps data");
}

Test(vmcs, fields_sit_at_documented_offsets_little_endian)
{
    vmcs_set(region, VMCS_GUEST_RIP, 0x1122334455667788ull);
    const struct vmcs_field *f = vmcs_field_find(VMCS_GUEST_RIP);
    cr_assert_eq(region[f->offset], 0x88);
    cr_assert_eq(region[f->offset + 7], 0x11);
    cr_assert_eq(vmcs_field_find(VMCS_CTRL_VPID)->offset, VMCS_OFF_FIELDS);
}

Test(vmcs, read_write_round_trip_in_64_bit_mode)
{
    uint64_t v;
    cr_assert_eq(vmcs_write(region, VMCS_GUEST_RIP, 0xffffffff81000000ull, true, false), 0);
    cr_assert_eq(vmcs_read(region, VMCS_GUEST_RIP, true, &v), 0);
    cr_assert_eq(v, 0xffffffff81000000ull);
}

Test(vmcs, write_ignores_bits_beyond_the_field)
{
    uint64_t v;
    cr_assert_eq(vmcs_write(region, VMCS_GUEST_CS_SELECTOR, 0xabcd0010, true, false), 0);
    cr_assert_eq(vmcs_read(region, VMCS_GUEST_CS_SELECTOR, true, &v), 0);
    cr_assert_eq(v, 0x0010);
    cr_assert_eq(vmcs_write(region, VMCS_GUEST_CS_AR, 0x123456789ull, true, false), 0);
    cr_assert_eq(vmcs_read(region, VMCS_GUEST_CS_AR, true, &v), 0);
    cr_assert_eq(v, 0x23456789);
}

Test(vmcs, high_half_of_a_64_bit_field)
{
    uint64_t v;
    cr_assert_eq(vmcs_write(region, VMCS_CTRL_TSC_OFFSET, 0x1111111122222222ull, true, false), 0);
    cr_assert_eq(vmcs_read(region, VMCS_CTRL_TSC_OFFSET | 1, true, &v), 0);
    cr_assert_eq(v, 0x11111111);
    cr_assert_eq(vmcs_write(region, VMCS_CTRL_TSC_OFFSET | 1, 0xaaaaaaaa33333333ull, true, false), 0);
    cr_assert_eq(vmcs_read(region, VMCS_CTRL_TSC_OFFSET, true, &v), 0);
    cr_assert_eq(v, 0x3333333322222222ull, "high write touches bits 63:32 only");
}

Test(vmcs, outside_64_bit_mode_operands_are_32_bits)
{
    uint64_t v;
    vmcs_set(region, VMCS_GUEST_RIP, 0xdeadbeef00401000ull);
    cr_assert_eq(vmcs_read(region, VMCS_GUEST_RIP, false, &v), 0);
    cr_assert_eq(v, 0x00401000, "natural width reads as 32 bits");
    cr_assert_eq(vmcs_write(region, VMCS_GUEST_RIP, 0xffffffff00002000ull, false, false), 0);
    cr_assert_eq(vmcs_get(region, VMCS_GUEST_RIP), 0x2000, "high bits cleared");

    vmcs_set(region, VMCS_LINK_POINTER, ~0ull);
    cr_assert_eq(vmcs_read(region, VMCS_LINK_POINTER, false, &v), 0);
    cr_assert_eq(v, 0xffffffff);
    cr_assert_eq(vmcs_read(region, VMCS_LINK_POINTER | 1, false, &v), 0);
    cr_assert_eq(v, 0xffffffff);
    cr_assert_eq(vmcs_write(region, VMCS_LINK_POINTER, 0x5000, false, false), 0);
    cr_assert_eq(vmcs_get(region, VMCS_LINK_POINTER), 0x5000, "full write clears 63:32");
    cr_assert_eq(vmcs_write(region, VMCS_LINK_POINTER | 1, 0x7, false, false), 0);
    cr_assert_eq(vmcs_get(region, VMCS_LINK_POINTER), 0x700005000ull);
}

Test(vmcs, unsupported_component_is_error_12)
{
    uint64_t v = 77;
    cr_assert_eq(vmcs_read(region, 0x2808, true, &v), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    cr_assert_eq(v, 77, "destination untouched");
    cr_assert_eq(vmcs_write(region, 0x2808, 1, true, false), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    cr_assert_eq(vmcs_read(region, VMCS_GUEST_RIP | 1, true, &v), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    cr_assert_eq(vmcs_read(region, (1ull << 32) | VMCS_GUEST_RIP, true, &v),
                 VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    cr_assert_eq(vmcs_write(region, VMCS_GUEST_RIP | 0x1000, 1, true, false),
                 VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    /* Unsupported wins over read-only: error 12 is checked first. */
    cr_assert_eq(vmcs_write(region, VMCS_EXIT_REASON | 1, 1, true, false),
                 VMXERR_UNSUPPORTED_VMCS_COMPONENT);
}

Test(vmcs, read_only_component_is_error_13)
{
    uint64_t v;
    vmcs_set(region, VMCS_EXIT_REASON, 10);
    cr_assert_eq(vmcs_write(region, VMCS_EXIT_REASON, 1, true, false),
                 VMXERR_VMWRITE_READ_ONLY_COMPONENT);
    cr_assert_eq(vmcs_write(region, VMCS_EXIT_QUALIFICATION, 1, false, false),
                 VMXERR_VMWRITE_READ_ONLY_COMPONENT);
    cr_assert_eq(vmcs_write(region, VMCS_GUEST_PHYSICAL_ADDRESS | 1, 1, true, false),
                 VMXERR_VMWRITE_READ_ONLY_COMPONENT);
    cr_assert_eq(vmcs_read(region, VMCS_EXIT_REASON, true, &v), 0);
    cr_assert_eq(v, 10, "refused write leaves the field");
    cr_assert_eq(vmcs_write(region, VMCS_EXIT_REASON, 1, true, true), 0);
    cr_assert_eq(vmcs_get(region, VMCS_EXIT_REASON), 1);
}

Test(vmcs, set_truncates_and_same_writes_give_same_bytes)
{
    static uint8_t other[VMCS_REGION_SIZE];
    vmcs_set(region, VMCS_GUEST_SS_SELECTOR, 0x123456);
    cr_assert_eq(vmcs_get(region, VMCS_GUEST_SS_SELECTOR), 0x3456);
    memset(other, 0, sizeof other);
    for (unsigned i = 0; i < vmcs_field_count(); i++) {
        uint32_t enc = vmcs_field_at(i)->encoding;
        vmcs_set(region, enc, 0x0123456789abcdefull * (i + 1));
        vmcs_set(other, enc, 0x0123456789abcdefull * (i + 1));
    }
    cr_assert_eq(memcmp(region, other, sizeof other), 0);
    cr_assert_eq(region[VMCS_REGION_SIZE - 1], 0, "tail unused");
}
