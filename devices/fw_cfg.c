/* fw_cfg, I/O interface (QEMU docs/specs/fw_cfg.rst): writing the selector picks
 * an item and rewinds it; each data read returns its next byte, 0 past the end
 * or for a missing key. Items are configuration set by the machine; only the
 * selector and the read offset are guest state. */
#include "devices/fw_cfg.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "dev_priv.h"

#define FW_CFG_CTL 0          /* selector, 16-bit */
#define FW_CFG_DATA 1         /* data, 8-bit */
#define FW_CFG_WRITE 0x4000   /* selector bit: write access, refused */
#define FW_CFG_ID_TRADITIONAL 0x1
#define FW_CFG_MAX_ITEMS (16 + FW_CFG_MAX_FILES)
#define FW_CFG_MAGIC 0x46574346 /* "FWCF" */

struct fw_cfg_item {
    uint16_t key;
    uint8_t *data;
    size_t len;
    char name[FW_CFG_MAX_FILE_PATH]; /* files only */
};

struct fw_cfg {
    struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
    unsigned nitems, nfiles;
    uint16_t selector;
    uint32_t offset;
};

static struct fw_cfg_item *fw_cfg_find(struct fw_cfg *f, uint16_t key)
{
    for (unsigned i = 0; i < f->nitems; i++)
        if (f->items[i].key == key)
            return &f->items[i];
    return NULL;
}

int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
    struct fw_cfg_item *it = fw_cfg_find(f, key);
    uint8_t *copy = malloc(len ? len : 1);

    if (!copy)
        return HV_ENOMEM;
    if (!it) {
        if (f->nitems == FW_CFG_MAX_ITEMS) {
            free(copy);
            return HV_EFULL;
        }
        it = &f->items[f->nitems++];
        memset(it, 0, sizeof *it);
        it->key = key;
    }
    if (len)
        memcpy(copy, data, len);
    free(it->data);
    it->data = copy;
    it->len = len;
    return HV_OK;
}

static int fw_cfg_name_cmp(const void *a, const void *b)
{
    const struct fw_cfg_item *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* The directory lists files sorted by name, as QEMU does. */
static int fw_cfg_rebuild_dir(struct fw_cfg *f)
{
    const struct fw_cfg_item *files[FW_CFG_MAX_FILES];
    uint8_t *dir;
    size_t len = 4 + 64 * (size_t)f->nfiles, n = 0;
    int rc;

    for (unsigned i = 0; i < f->nitems; i++)
        if (f->items[i].key >= FW_CFG_FILE_FIRST && f->items[i].key < FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)
            files[n++] = &f->items[i];
    qsort(files, n, sizeof files[0], fw_cfg_name_cmp);
    dir = calloc(1, len);
    if (!dir)
        return HV_ENOMEM;
    dir[0] = (uint8_t)(n >> 24), dir[1] = (uint8_t)(n >> 16), dir[2] = (uint8_t)(n >> 8), dir[3] = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = dir + 4 + 64 * i;
        uint32_t size = (uint32_t)files[i]->len;
        e[0] = (uint8_t)(size >> 24), e[1] = (uint8_t)(size >> 16), e[2] = (uint8_t)(size >> 8), e[3] = (uint8_t)size;
        e[4] = (uint8_t)(files[i]->key >> 8), e[5] = (uint8_t)files[i]->key;
        memcpy(e + 8, files[i]->name, FW_CFG_MAX_FILE_PATH);
    }
    rc = fw_cfg_add_bytes(f, FW_CFG_FILE_DIR, dir, len);
    free(dir);
    return rc;
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len)
{
    uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles);
    int rc;

    if (strlen(name) >= FW_CFG_MAX_FILE_PATH || len > UINT32_MAX)
        return HV_EINVAL;
    for (unsigned i = 0; i < f->nitems; i++)
        if (f->items[i].key >= FW_CFG_FILE_FIRST && !strcmp(f->items[i].name, name))
            return HV_EEXIST;
    if (f->nfiles == FW_CFG_MAX_FILES)
        return HV_EFULL;
    rc = fw_cfg_add_bytes(f, key, data, len);
    if (rc)
        return rc;
    strcpy(fw_cfg_find(f, key)->name, name);
    f->nfiles++;
    rc = fw_cfg_rebuild_dir(f);
    return rc ? rc : key;
}

static uint64_t fw_cfg_read(void *opaque, uint64_t off, unsigned size)
{
    struct fw_cfg *f = opaque;
    struct fw_cfg_item *it;

    if (off != FW_CFG_DATA || size != 1) {
        log_guest("fw_cfg: %u-byte read at offset %llu", size, (unsigned long long)off);
        return dev_ones(size);
    }
    it = fw_cfg_find(f, f->selector);
    if (!it || f->offset >= it->len)
        return 0;
    return it->data[f->offset++]; /* each read advances */
}

static void fw_cfg_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct fw_cfg *f = opaque;

    if (off == FW_CFG_CTL && (size == 2 || size == 1)) {
        f->selector = (uint16_t)val & ~FW_CFG_WRITE; /* selecting rewinds the item */
        f->offset = 0;
        if (val & FW_CFG_WRITE)
            log_guest("fw_cfg: write access to key 0x%04x refused", f->selector);
        return;
    }
    log_guest("fw_cfg: %u-byte write at offset %llu ignored", size, (unsigned long long)off);
}

static void fw_cfg_reset(void *opaque)
{
    struct fw_cfg *f = opaque;
    f->selector = 0;
    f->offset = 0;
}

static int fw_cfg_save(void *opaque, struct buf *b)
{
    struct fw_cfg *f = opaque;
    dev_save_header(b, FW_CFG_MAGIC, 1);
    buf_put_u16(b, f->selector);
    buf_put_u32(b, f->offset);
    return b->err;
}

static int fw_cfg_load(void *opaque, struct buf_reader *r)
{
    struct fw_cfg *f = opaque;
    uint16_t sel;
    uint32_t off;

    if (dev_load_header(r, FW_CFG_MAGIC, 1))
        return HV_ECORRUPT;
    sel = buf_get_u16(r);
    off = buf_get_u32(r);
    if (r->err)
        return HV_ECORRUPT;
    f->selector = sel;
    f->offset = off;
    return HV_OK;
}

const struct dev_ops fw_cfg_ops = {
    .name = "fw_cfg",
    .read = fw_cfg_read,
    .write = fw_cfg_write,
    .reset = fw_cfg_reset,
    .save = fw_cfg_save,
    .load = fw_cfg_load,
};

struct fw_cfg *fw_cfg_create(uint64_t ram_size, uint16_t ncpus)
{
    struct fw_cfg *f = calloc(1, sizeof *f);
    uint8_t id[4] = { FW_CFG_ID_TRADITIONAL, 0, 0, 0 }, uuid[16] = { 0 }, ram[8], cpus[2];

    if (!f) {
        log_error("fw_cfg: out of memory");
        return NULL;
    }
    for (int i = 0; i < 8; i++)
        ram[i] = (uint8_t)(ram_size >> (8 * i));
    cpus[0] = (uint8_t)ncpus, cpus[1] = (uint8_t)(ncpus >> 8);
    if (fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4) || fw_cfg_add_bytes(f, FW_CFG_ID, id, 4) ||
        fw_cfg_add_bytes(f, FW_CFG_UUID, uuid, 16) || fw_cfg_add_bytes(f, FW_CFG_RAM_SIZE, ram, 8) ||
        fw_cfg_add_bytes(f, FW_CFG_NB_CPUS, cpus, 2) || fw_cfg_add_bytes(f, FW_CFG_MAX_CPUS, cpus, 2) ||
        fw_cfg_rebuild_dir(f)) {
        log_error("fw_cfg: out of memory");
        fw_cfg_destroy(f);
        return NULL;
    }
    return f;
}

void fw_cfg_destroy(struct fw_cfg *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->nitems; i++)
        free(f->items[i].data);
    free(f);
}
