// SPDX-License-Identifier: GPL-2.0
/*
 * The cipher's ceiling, for "make bench": reading the debugfs file
 * ockam/cipher_ceiling seals and opens 1 KiB and 64 KiB buffers with
 * ockam_cipher_seal() and ockam_cipher_open(), the two functions every
 * channel frame goes through, each case in a loop of about 0.3 s on the
 * reader's CPU (migration disabled), and prints
 *
 *	cpu CPU
 *	OP SIZE BYTES_PER_SECOND ITERATIONS NANOSECONDS
 *
 * for OP seal and open, SIZE 1024 and 65536 (the tag not counted). The
 * buffers are whole pages in a scatterlist, the body at the start of the
 * first: the best case, as a channel's frames begin anywhere in their
 * fragments. Every open verifies its tag: the buffer goes back and forth
 * between a plaintext and its ciphertext under one nonce, each with the
 * tag that makes it valid ciphertext.
 *
 * Debug build only, and nothing runs until the file is read: the tests
 * load the debug module many times, some on slow kernels.
 */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "../cipher.h"
#include "selftest.h"

#define CEILING_NS	(300 * NSEC_PER_MSEC)
#define CEILING_MAX	SZ_64K
#define CEILING_PAGES	DIV_ROUND_UP(CEILING_MAX + OCKAM_TAG_LEN, PAGE_SIZE)
/* The nonce of every open: the buffer is opened again and again. */
#define CEILING_COUNTER	7

static const u32 ceiling_sizes[] = { SZ_1K, SZ_64K };

/* The tag follows the body in the same page (ceiling_tag()). */
static_assert(SZ_1K % PAGE_SIZE + OCKAM_TAG_LEN <= PAGE_SIZE);
static_assert(SZ_64K % PAGE_SIZE + OCKAM_TAG_LEN <= PAGE_SIZE);

struct ceiling {
	u8 key[OCKAM_KEY_LEN];
	/* The tags of the buffer as ciphertext ([0]) and as plaintext. */
	u8 tags[2][OCKAM_TAG_LEN];
	struct page *pages[CEILING_PAGES];
	struct scatterlist sg[CEILING_PAGES];
};

/* One reader at a time: two loops would share the CPUs they measure. */
static DEFINE_MUTEX(ceiling_lock);
static struct dentry *ceiling_dir;

static void ceiling_free(struct ceiling *c)
{
	unsigned int i;

	for (i = 0; i < CEILING_PAGES; i++)
		if (c->pages[i])
			__free_page(c->pages[i]);
	memzero_explicit(c->key, sizeof(c->key));
	kfree(c);
}

static struct ceiling *ceiling_alloc(void)
{
	struct ceiling *c;
	unsigned int i;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	for (i = 0; i < CEILING_PAGES; i++) {
		c->pages[i] = alloc_page(GFP_KERNEL);
		if (!c->pages[i]) {
			ceiling_free(c);
			return NULL;
		}
		get_random_bytes(page_address(c->pages[i]), PAGE_SIZE);
	}
	get_random_bytes(c->key, sizeof(c->key));
	return c;
}

/* A scatterlist over the first @bytes of the pages. */
static void ceiling_sg(struct ceiling *c, u32 bytes)
{
	unsigned int i, n = DIV_ROUND_UP(bytes, PAGE_SIZE);

	sg_init_table(c->sg, n);
	for (i = 0; i < n; i++)
		sg_set_page(&c->sg[i], c->pages[i],
			    min_t(u32, bytes - i * PAGE_SIZE, PAGE_SIZE), 0);
}

/* Where the tag of a @len-byte body is. */
static u8 *ceiling_tag(struct ceiling *c, u32 len)
{
	return (u8 *)page_address(c->pages[len / PAGE_SIZE]) + len % PAGE_SIZE;
}

/*
 * Make the @len bytes valid ciphertext under CEILING_COUNTER with the tag
 * behind them, and keep in @c->tags what makes them valid again after an
 * open: sealing C, the ciphertext of P, under the same nonce gives back P
 * with the tag of P taken as ciphertext.
 */
static int ceiling_prepare_open(struct ceiling *c, u32 len)
{
	int err;

	err = ockam_cipher_seal(c->key, CEILING_COUNTER, c->sg, len);
	if (err)
		return err;
	memcpy(c->tags[0], ceiling_tag(c, len), OCKAM_TAG_LEN);
	err = ockam_cipher_seal(c->key, CEILING_COUNTER, c->sg, len);
	if (err)
		return err;
	memcpy(c->tags[1], ceiling_tag(c, len), OCKAM_TAG_LEN);
	return 0;
}

/*
 * Seal (or open) @len bytes for CEILING_NS or more; the clock is read
 * after every 64 KiB or so, not every call.
 */
static int ceiling_loop(struct ceiling *c, bool open, u32 len, u64 *iters,
			u64 *ns)
{
	u32 batch = max_t(u32, 1, SZ_64K / len);
	u64 start, n = 0;
	u32 i;
	int err;

	ceiling_sg(c, len + OCKAM_TAG_LEN);
	if (open) {
		err = ceiling_prepare_open(c, len);
		if (err)
			return err;
	}
	start = ktime_get_ns();
	do {
		for (i = 0; i < batch; i++, n++) {
			if (open) {
				err = ockam_cipher_open(c->key, CEILING_COUNTER,
							c->sg,
							len + OCKAM_TAG_LEN);
				memcpy(ceiling_tag(c, len), c->tags[n & 1],
				       OCKAM_TAG_LEN);
			} else {
				err = ockam_cipher_seal(c->key, n, c->sg, len);
			}
			if (err)
				return err;
			cond_resched();
		}
		*ns = ktime_get_ns() - start;
	} while (*ns < CEILING_NS);
	*iters = n;
	return 0;
}

static int ceiling_show(struct seq_file *m, void *v)
{
	unsigned int i, open = 0;
	struct ceiling *c;
	u64 iters, ns;
	u32 len = 0;
	int err = 0;

	if (mutex_lock_interruptible(&ceiling_lock))
		return -EINTR;
	c = ceiling_alloc();
	if (!c) {
		mutex_unlock(&ceiling_lock);
		return -ENOMEM;
	}
	migrate_disable();
	seq_printf(m, "cpu %d\n", smp_processor_id());
	for (i = 0; i < ARRAY_SIZE(ceiling_sizes); i++) {
		len = ceiling_sizes[i];
		for (open = 0; open < 2; open++) {
			err = ceiling_loop(c, open, len, &iters, &ns);
			if (err)
				goto out;
			seq_printf(m, "%s %u %llu %llu %llu\n",
				   open ? "open" : "seal", len,
				   mul_u64_u64_div_u64(iters * len,
						       NSEC_PER_SEC, ns),
				   iters, ns);
		}
	}
out:
	migrate_enable();
	ceiling_free(c);
	mutex_unlock(&ceiling_lock);
	if (err)
		pr_err("cipher ceiling: %s of %u bytes failed: %d\n",
		       open ? "open" : "seal", len, err);
	return err;
}
DEFINE_SHOW_ATTRIBUTE(ceiling);

/*
 * debugfs may be absent or refused; the module works on without the file,
 * as debugfs users are meant to.
 */
void __init ockam_cipher_ceiling_init(void)
{
	ceiling_dir = debugfs_create_dir("ockam", NULL);
	debugfs_create_file("cipher_ceiling", 0400, ceiling_dir, NULL,
			    &ceiling_fops);
}

void ockam_cipher_ceiling_exit(void)
{
	debugfs_remove(ceiling_dir);
}
