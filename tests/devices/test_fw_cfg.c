/* Tests for fw_cfg through its ops table: signature, ID, RAM size, CPU count,
 * the file directory and file contents, rewind on select, save/load. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/err.h"
#include "devices/fw_cfg.h"

static struct fw_cfg *f;

static void setup(void)
{
    f = fw_cfg_create(256ULL << 20, 2);
    cr_assert_not_null(f);
}

static void teardown(void) { fw_cfg_destroy(f); }

static void sel(uint16_t key) { fw_cfg_ops.write(f, 0, key, 2); }
static void get(void *out, size_t n)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)fw_cfg_ops.read(f, 1, 1);
}

TestSuite(fw_cfg, .init = setup, .fini = teardown);

Test(fw_cfg, signature_id_ram_cpus)
{
    char sig[5] = { 0 };
    uint8_t b[8];

    sel(FW_CFG_SIGNATURE);
    get(sig, 4);
    cr_assert_str_eq(sig, "QEMU");
    cr_assert_eq(fw_cfg_ops.read(f, 1, 1), 0, "past the end reads 0");
    sel(FW_CFG_ID);
    get(b, 4);
    cr_assert_eq(b[0], 1, "traditional interface, no DMA");
    sel(FW_CFG_RAM_SIZE);
    get(b, 8);
    cr_assert_eq(b[3], 0x10);
    cr_assert_eq(b[2] | b[4], 0);
    sel(FW_CFG_NB_CPUS);
    get(b, 2);
    cr_assert_eq(b[0], 2);
    sel(0x1234);
    cr_assert_eq(fw_cfg_ops.read(f, 1, 1), 0, "missing key reads 0");
}

Test(fw_cfg, files_listed_sorted_in_directory)
{
    uint8_t dir[4 + 64 * 2];
    char body[6] = { 0 };

    int kb = fw_cfg_add_file(f, "opt/b", "hello", 5);
    int ka = fw_cfg_add_file(f, "etc/a", "xy", 2);
    cr_assert_eq(kb, 0x20);
    cr_assert_eq(ka, 0x21);
    cr_assert_eq(fw_cfg_add_file(f, "etc/a", "z", 1), HV_EEXIST);
    sel(FW_CFG_FILE_DIR);
    get(dir, sizeof dir);
    cr_assert_eq(dir[3], 2);
    cr_assert_str_eq((char *)dir + 4 + 8, "etc/a");
    cr_assert_eq(dir[4 + 3], 2, "size big-endian");
    cr_assert_eq(dir[4 + 5], 0x21, "select big-endian");
    cr_assert_str_eq((char *)dir + 68 + 8, "opt/b");
    sel((uint16_t)kb);
    get(body, 5);
    cr_assert_str_eq(body, "hello");
    sel((uint16_t)kb);
    cr_assert_eq(fw_cfg_ops.read(f, 1, 1), 'h', "select rewinds");
}

Test(fw_cfg, bad_access_and_save_load)
{
    struct buf b;
    struct buf_reader r;

    cr_assert_eq(fw_cfg_ops.read(f, 0, 2), 0xffff);
    sel(FW_CFG_SIGNATURE);
    fw_cfg_ops.read(f, 1, 1);
    buf_init(&b);
    cr_assert_eq(fw_cfg_ops.save(f, &b), 0);
    fw_cfg_ops.reset(f);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(fw_cfg_ops.load(f, &r), 0);
    cr_assert_eq(fw_cfg_ops.read(f, 1, 1), 'E', "offset restored");
    buf_reader_init(&r, b.data, 3);
    cr_assert_eq(fw_cfg_ops.load(f, &r), HV_ECORRUPT);
    buf_free(&b);
}
