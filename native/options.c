/* pettingretro's libretro host, core options: the three declaration styles, values, overrides.
 *
 * Cores crash on a NULL option value (genesis_plus_gx and bsnes strcmp it), so every declared
 * option always has a value: the user's override, else the core's default, else its first.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void option_free(struct pr_option *o) {
    free(o->key);
    free(o->desc);
    free(o->def);
    for (int j = 0; j < o->nvalues; j++) free(o->values[j]);
    free(o->values);
    free(o->custom);
}

struct pr_option *pr_option_find(pr_emu *e, const char *key) {
    for (int i = 0; i < e->nopts; i++)
        if (strcmp(e->opts[i].key, key) == 0) return &e->opts[i];
    return NULL;
}

int pr_option_assign(struct pr_option *o, const char *value) {
    for (int j = 0; j < o->nvalues; j++) {
        if (strcmp(o->values[j], value) == 0) {
            o->value = o->values[j];
            return 1;
        }
    }
    return 0;
}

/* Replace the option set, keeping values of options that persist and applying user overrides. */
static void options_install(pr_emu *e, struct pr_option *nopts, int n) {
    for (int i = 0; i < n; i++) {
        struct pr_option *o = &nopts[i];
        o->value = NULL;
        struct pr_option *old = pr_option_find(e, o->key);
        if (old && old->value) pr_option_assign(o, old->value);
        for (int k = 0; k < e->noverrides; k++)
            if (strcmp(e->overrides[k].key, o->key) == 0) pr_option_assign(o, e->overrides[k].value);
        if (!o->value && o->def && !pr_option_assign(o, o->def) && o->nvalues) o->value = o->values[0];
        if (!o->value && o->nvalues) o->value = o->values[0];
        if (!o->value) {
            o->custom = pr_dupstr("");
            o->value = o->custom;
        }
    }
    for (int i = 0; i < e->nopts; i++) option_free(&e->opts[i]);
    free(e->opts);
    e->opts = nopts;
    e->nopts = n;
    e->opts_dirty = 1;
}

static int option_add_value(struct pr_option *o, const char *v, size_t len) {
    char **nv = realloc(o->values, sizeof(char *) * (size_t)(o->nvalues + 1));
    if (!nv) return 0;
    o->values = nv;
    char *s = malloc(len + 1);
    if (!s) return 0;
    memcpy(s, v, len);
    s[len] = 0;
    o->values[o->nvalues++] = s;
    return 1;
}

/* v0: {key, "Description; a|b|c"}, default = first value. */
bool pr_options_v0(pr_emu *e, const struct retro_variable *vars) {
    int n = 0;
    while (vars[n].key) n++;
    struct pr_option *opts = calloc((size_t)n + 1, sizeof *opts);
    if (!opts) return false;
    for (int i = 0; i < n; i++) {
        struct pr_option *o = &opts[i];
        o->key = pr_dupstr(vars[i].key);
        const char *v = vars[i].value ? vars[i].value : "";
        const char *semi = strstr(v, "; ");
        if (semi) {
            o->desc = strndup(v, (size_t)(semi - v));
            const char *p = semi + 2;
            while (*p) {
                const char *bar = strchr(p, '|');
                size_t len = bar ? (size_t)(bar - p) : strlen(p);
                option_add_value(o, p, len);
                if (!bar) break;
                p = bar + 1;
            }
        } else {
            o->desc = pr_dupstr(v);
        }
        if (o->nvalues) o->def = pr_dupstr(o->values[0]);
    }
    options_install(e, opts, n);
    return true;
}

static void option_values_from(struct pr_option *o, const struct retro_core_option_value *vals,
                               const char *def) {
    for (int j = 0; j < RETRO_NUM_CORE_OPTION_VALUES_MAX && vals[j].value; j++)
        option_add_value(o, vals[j].value, strlen(vals[j].value));
    o->def = pr_dupstr(def ? def : (o->nvalues ? o->values[0] : NULL));
}

/* v1 and v2 definitions are two types with the same members used here */
#define OPTIONS_FROM_DEFINITIONS(e, defs)                                                          \
    do {                                                                                           \
        int n = 0;                                                                                 \
        while ((defs)[n].key) n++;                                                                 \
        struct pr_option *opts = calloc((size_t)n + 1, sizeof *opts);                              \
        if (!opts) return false;                                                                   \
        for (int i = 0; i < n; i++) {                                                              \
            opts[i].key = pr_dupstr((defs)[i].key);                                                \
            opts[i].desc = pr_dupstr((defs)[i].desc ? (defs)[i].desc : "");                        \
            option_values_from(&opts[i], (defs)[i].values, (defs)[i].default_value);               \
        }                                                                                          \
        options_install((e), opts, n);                                                             \
        return true;                                                                               \
    } while (0)

bool pr_options_v1(pr_emu *e, const struct retro_core_option_definition *defs) {
    OPTIONS_FROM_DEFINITIONS(e, defs);
}

bool pr_options_v2(pr_emu *e, const struct retro_core_options_v2 *v2) {
    if (!v2 || !v2->definitions) return false;
    OPTIONS_FROM_DEFINITIONS(e, v2->definitions);
}

int pr_option_count(const pr_emu *e) { return e->nopts; }
static const struct pr_option *opt_at(const pr_emu *e, int i) {
    return (i >= 0 && i < e->nopts) ? &e->opts[i] : NULL;
}
const char *pr_option_key(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->key : NULL;
}
const char *pr_option_desc(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->desc : NULL;
}
const char *pr_option_value(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->value : NULL;
}
const char *pr_option_default(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->def : NULL;
}
int pr_option_nvalues(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->nvalues : 0;
}
const char *pr_option_value_at(const pr_emu *e, int i, int j) {
    const struct pr_option *o = opt_at(e, i);
    return (o && j >= 0 && j < o->nvalues) ? o->values[j] : NULL;
}

int pr_option_set(pr_emu *e, const char *key, const char *value) {
    if (!key || !value) return pr_fail(e, PR_EINVAL, "option key and value must not be NULL");
    struct pr_option *o = pr_option_find(e, key);
    if (o) {
        if (!pr_option_assign(o, value)) {
            char allowed[512] = "";
            size_t used = 0;
            for (int j = 0; j < o->nvalues && used + 1 < sizeof allowed; j++)
                used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s", j ? ", " : "",
                                         o->values[j]);
            if (used >= sizeof allowed) strcpy(allowed + sizeof allowed - 5, "...");
            return pr_fail(e, PR_EINVAL, "'%s' is not a valid value for core option '%s' (allowed: %s)",
                        value, key, allowed);
        }
        e->opts_dirty = 1;
    } else if (e->loaded) {
        return pr_fail(e, PR_EINVAL, "the core has no option '%s'", key);
    }
    /* remembered so that options the core declares later (at load) get the override too */
    for (int k = 0; k < e->noverrides; k++) {
        if (strcmp(e->overrides[k].key, key) == 0) {
            free(e->overrides[k].value);
            e->overrides[k].value = pr_dupstr(value);
            return PR_OK;
        }
    }
    struct pr_override *nv = realloc(e->overrides, sizeof *nv * (size_t)(e->noverrides + 1));
    if (!nv) return pr_fail(e, PR_ENOMEM, "out of memory");
    e->overrides = nv;
    e->overrides[e->noverrides].key = pr_dupstr(key);
    e->overrides[e->noverrides].value = pr_dupstr(value);
    e->noverrides++;
    return PR_OK;
}

void pr_options_free(pr_emu *e) {
    for (int i = 0; i < e->nopts; i++) option_free(&e->opts[i]);
    free(e->opts);
    e->opts = NULL;
    e->nopts = 0;
    for (int k = 0; k < e->noverrides; k++) {
        free(e->overrides[k].key);
        free(e->overrides[k].value);
    }
    free(e->overrides);
    e->overrides = NULL;
    e->noverrides = 0;
}
