/* printf.c: kprintf and ksnprintf over one small formatter. */
#include <stdint.h>

#include "klib/console.h"

struct sink {
    void (*put)(struct sink *s, char c);
    char *buf;
    size_t size, len;
};

static void put_console(struct sink *s, char c)
{
    serial_putc(c);
    s->len++;
}

static void put_buffer(struct sink *s, char c)
{
    if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void emit_padded(struct sink *s, const char *str, size_t n, int width, int left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n > 0 && str[0] == '-') {  /* "-007", not "00-7" */
        s->put(s, *str++);
        n--;
    }
    if (!left)
        while (fill-- > 0)
            s->put(s, pad);
    while (n--)
        s->put(s, *str++);
    if (left)
        while (fill-- > 0)
            s->put(s, ' ');
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            s->put(s, *fmt);
            continue;
        }
        int left = 0, alt = 0, width = 0, lng = 0;
        char pad = ' ';
        for (fmt++;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                pad = '0';
            else if (*fmt == '#')
                alt = 1;
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int precision = -1;             /* only "%.Ns" uses it: at most N chars */
        if (*fmt == '.')
            for (precision = 0, fmt++; *fmt >= '0' && *fmt <= '9'; fmt++)
                precision = precision * 10 + (*fmt - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            lng += *fmt == 'z' ? (sizeof(size_t) == 8 ? 2 : 1) : 1;
            fmt++;
        }

        char tmp[24], *end = tmp + sizeof(tmp), *p = end;
        unsigned long long u;
        int neg = 0;
        switch (*fmt) {
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            emit_padded(s, tmp, 1, width, left, ' ');
            continue;
        case 's': {
            const char *str = va_arg(ap, const char *);
            size_t n = 0;
            if (!str)
                str = "(null)";
            while (str[n] && (precision < 0 || (int)n < precision))
                n++;
            emit_padded(s, str, n, width, left, ' ');
            continue;
        }
        case 'd':
        case 'i': {
            long long v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            neg = v < 0;
            u = neg ? -(unsigned long long)v : (unsigned long long)v;
            do
                *--p = '0' + u % 10;
            while (u /= 10);
            if (neg)
                *--p = '-';
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'p': {
            unsigned base = *fmt == 'u' ? 10 : 16;
            const char *digits = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            if (*fmt == 'p') {
                u = (uintptr_t)va_arg(ap, void *);
                alt = 1;
            } else {
                u = lng >= 2 ? va_arg(ap, unsigned long long)
                    : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            }
            do
                *--p = digits[u % base];
            while (u /= base);
            if (alt && base == 16) {
                emit_padded(s, "0x", 2, 0, 0, ' ');
                width = width > 2 ? width - 2 : 0;
            }
            break;
        }
        case '%':
            s->put(s, '%');
            continue;
        default:                /* unknown conversion: print it as written */
            s->put(s, '%');
            if (!*fmt)
                return;
            s->put(s, *fmt);
            continue;
        }
        emit_padded(s, p, end - p, width, left, pad);
    }
}

int kvprintf(const char *fmt, va_list ap)
{
    struct sink s = { put_console, 0, 0, 0 };
    format(&s, fmt, ap);
    return (int)s.len;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct sink s = { put_buffer, buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return (int)s.len;
}
