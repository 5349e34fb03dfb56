/*
 * topo._speedups: compiled versions of the two loops a large input spends its time in.
 *
 * Each function here is a faster road to exactly what a Python function of topo gives; the
 * Python function stays the reference and the fallback (no compiler at install time, or
 * TOPO_PURE_PYTHON=1), and the tests compare both on every golden file and on fuzzed input.
 * Whatever is unusual (a type JSON rarely holds, an MPLS extension, hops out of order, a
 * number too large for exact integer arithmetic, ...) is not handled here: the function
 * returns None and the caller takes the Python road, which also raises the same errors.
 *
 *   atlas_steps(hops, dst)   -> (steps, reached) | None
 *       topo.parsers.atlas.result_to_digest's steps from a result's "result" list.
 *   linux_digests(text, source, header_ends, digest_class) -> list | None
 *       the TraceDigests of topo.parsers.linux_traceroute.parse(text) for plain
 *       `traceroute -n` output that parses without an error.
 *   graph_steps(builder, view, trace, vantage, scope_name, seen, taken) -> (path, previous)
 *       topo.graph.GraphBuilder._add_steps: a trace's steps into the builder's dicts. It
 *       changes state as it goes, so it hands nothing back: every value is treated as
 *       Python would treat it (generic arithmetic and comparisons off the common types).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

/* Interned key strings, made once. */
static PyObject *s_hop, *s_result, *s_error, *s_from, *s_x, *s_icmpext, *s_rtt, *s_star;
static PyObject *s_traces, *s_trace_ids, *s_gap, *s_rtt_delta_min, *s_names, *s_mpls;
static PyObject *s_rtt_min, *s_rtt_count, *s_classification, *s_special;
static PyObject *s_addr, *s_empty_tuple, *s__hop_node, *s__star_node;

#define TRACE_ID_CAP 20
/* RTTs (ms) up to 1e9 keep every sum of a hop's RTTs in ns exact in 64 bits. */
#define RTT_LIMIT_MS 1e9

/* ---------------------------------------------------------------- atlas_steps -------- */

/* Per-address accumulator of one hop, kept in first-answer order. */
typedef struct {
    PyObject *addr; /* borrowed from the entry (the entry outlives the call) */
    double low;
    int64_t total;
    Py_ssize_t count;
} Acc;

/* 1: a step tuple in *out (or NULL for a hop nobody answered); 0: use Python; -1: error. */
static int
hop_step(long ttl, PyObject *entries, PyObject **out, double *least_out, int *has_least)
{
    Acc stack_accs[8];
    Acc *accs = stack_accs;
    Py_ssize_t n_accs = 0, cap = 8;
    Py_ssize_t n = PyList_GET_SIZE(entries);
    double least = 0.0;
    int have_least = 0;
    *out = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *entry = PyList_GET_ITEM(entries, i);
        if (!PyDict_CheckExact(entry))
            continue; /* the Python road keeps only dict entries */
        PyObject *from = PyDict_GetItemWithError(entry, s_from);
        if (from == NULL && PyErr_Occurred())
            goto error;
        if (from == NULL)
            continue; /* no "from": a probe without an answer */
        PyObject *x = PyDict_GetItemWithError(entry, s_x);
        if (x == NULL && PyErr_Occurred())
            goto error;
        if (x != NULL) {
            if (PyUnicode_CheckExact(x)) {
                if (PyUnicode_Compare(x, s_star) == 0)
                    continue;
            }
            else if (!(x == Py_None || PyLong_CheckExact(x) || PyFloat_CheckExact(x) ||
                       PyBool_Check(x) || PyList_CheckExact(x) || PyDict_CheckExact(x))) {
                goto fallback;
            }
        }
        PyObject *icmpext = PyDict_GetItemWithError(entry, s_icmpext);
        if (icmpext == NULL && PyErr_Occurred())
            goto error;
        if (icmpext != NULL && icmpext != Py_None)
            goto fallback; /* MPLS stacks: the Python road */
        if (!PyUnicode_CheckExact(from)) {
            if (from == Py_None || from == Py_False)
                continue;
            goto fallback; /* str() of a number or a list: the Python road */
        }
        if (PyUnicode_GET_LENGTH(from) == 0)
            continue;
        Acc *acc = NULL;
        for (Py_ssize_t k = 0; k < n_accs; k++) {
            if (accs[k].addr == from) {
                acc = &accs[k];
                break;
            }
        }
        if (acc == NULL) {
            for (Py_ssize_t k = 0; k < n_accs; k++) {
                int eq = PyUnicode_Compare(accs[k].addr, from);
                if (eq == -1 && PyErr_Occurred())
                    goto error;
                if (eq == 0) {
                    acc = &accs[k];
                    break;
                }
            }
        }
        if (acc == NULL) {
            if (n_accs == cap) {
                Py_ssize_t new_cap = cap * 2;
                Acc *grown = PyMem_Malloc(sizeof(Acc) * new_cap);
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto error;
                }
                memcpy(grown, accs, sizeof(Acc) * n_accs);
                if (accs != stack_accs)
                    PyMem_Free(accs);
                accs = grown;
                cap = new_cap;
            }
            acc = &accs[n_accs++];
            acc->addr = from;
            acc->low = 0.0;
            acc->total = 0;
            acc->count = 0;
        }
        PyObject *rtt = PyDict_GetItemWithError(entry, s_rtt);
        if (rtt == NULL && PyErr_Occurred())
            goto error;
        double value;
        if (rtt == NULL)
            continue;
        if (PyFloat_CheckExact(rtt)) {
            value = PyFloat_AS_DOUBLE(rtt);
        }
        else if (PyLong_CheckExact(rtt)) {
            value = PyLong_AsDouble(rtt);
            if (value == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                goto fallback;
            }
        }
        else {
            continue; /* bool, str, ...: no RTT */
        }
        if (!(fabs(value) <= RTT_LIMIT_MS))
            goto fallback; /* NaN, infinities, huge: Python's arithmetic */
        double scaled = nearbyint(value * 1e6); /* round(): ties to even */
        int64_t ns = (int64_t)scaled;
        if (__builtin_add_overflow(acc->total, ns, &acc->total))
            goto fallback;
        if (acc->count == 0 || value < acc->low)
            acc->low = value;
        acc->count++;
    }
    if (n_accs == 0)
        goto done;
    PyObject *items = PyTuple_New(n_accs);
    if (items == NULL)
        goto error;
    for (Py_ssize_t k = 0; k < n_accs; k++) {
        Acc *acc = &accs[k];
        PyObject *low, *total, *count;
        if (acc->count) {
            low = PyFloat_FromDouble(acc->low);
            if (!have_least || acc->low < least) {
                least = acc->low;
                have_least = 1;
            }
        }
        else {
            low = Py_NewRef(Py_None);
        }
        total = PyLong_FromLongLong(acc->total);
        count = PyLong_FromSsize_t(acc->count);
        PyObject *addr = Py_NewRef(acc->addr);
        PyUnicode_InternInPlace(&addr);
        if (low == NULL || total == NULL || count == NULL) {
            Py_XDECREF(low);
            Py_XDECREF(total);
            Py_XDECREF(count);
            Py_DECREF(addr);
            Py_DECREF(items);
            goto error;
        }
        PyObject *item = PyTuple_Pack(6, addr, low, total, count, s_empty_tuple, s_empty_tuple);
        Py_DECREF(addr);
        Py_DECREF(low);
        Py_DECREF(total);
        Py_DECREF(count);
        if (item == NULL) {
            Py_DECREF(items);
            goto error;
        }
        PyTuple_SET_ITEM(items, k, item);
    }
    PyObject *py_ttl = PyLong_FromLong(ttl);
    PyObject *py_least = have_least ? PyFloat_FromDouble(least) : Py_NewRef(Py_None);
    if (py_ttl == NULL || py_least == NULL) {
        Py_XDECREF(py_ttl);
        Py_XDECREF(py_least);
        Py_DECREF(items);
        goto error;
    }
    *out = PyTuple_Pack(3, py_ttl, py_least, items);
    Py_DECREF(py_ttl);
    Py_DECREF(py_least);
    Py_DECREF(items);
    if (*out == NULL)
        goto error;
    *least_out = least;
    *has_least = have_least;
done:
    if (accs != stack_accs)
        PyMem_Free(accs);
    return 1;
fallback:
    if (accs != stack_accs)
        PyMem_Free(accs);
    return 0;
error:
    if (accs != stack_accs)
        PyMem_Free(accs);
    return -1;
}

/* The hop number of an item, as _integer(item.get("hop")) reads it.
 * 1: *ttl set; 2: not an integer (skip the item); 0: use Python; -1: error. */
static int
hop_number(PyObject *item, long *ttl)
{
    PyObject *hop = PyDict_GetItemWithError(item, s_hop);
    if (hop == NULL)
        return PyErr_Occurred() ? -1 : 2;
    if (PyBool_Check(hop))
        return 2;
    if (!PyLong_CheckExact(hop))
        return PyLong_Check(hop) ? 0 : 2;
    int overflow = 0;
    long value = PyLong_AsLongAndOverflow(hop, &overflow);
    if (overflow || value < -(1L << 40) || value > (1L << 40))
        return 0;
    if (value == -1 && PyErr_Occurred())
        return -1;
    *ttl = value;
    return 1;
}

static PyObject *
atlas_steps(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "atlas_steps(hops, dst)");
        return NULL;
    }
    PyObject *hops = args[0], *dst = args[1];
    if (hops == Py_None)
        Py_RETURN_NONE; /* no hops at all: rare, the Python road */
    if (!PyList_CheckExact(hops))
        Py_RETURN_NONE;
    if (dst != Py_None && !PyUnicode_CheckExact(dst))
        Py_RETURN_NONE;
    Py_ssize_t n = PyList_GET_SIZE(hops);
    PyObject *steps = PyList_New(0);
    if (steps == NULL)
        return NULL;
    long previous = -1;
    Py_ssize_t answered = 0; /* steps up to the last answered one are kept */
    int reached = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(hops, i);
        if (!PyDict_CheckExact(item))
            continue;
        long ttl;
        int got = hop_number(item, &ttl);
        if (got == -1)
            goto error;
        if (got == 0)
            goto fallback;
        if (got == 2)
            continue;
        PyObject *entries = PyDict_GetItemWithError(item, s_result);
        if (entries == NULL && PyErr_Occurred())
            goto error;
        if (entries != NULL && entries != Py_None && !PyList_CheckExact(entries)) {
            int truth = PyObject_IsTrue(entries);
            if (truth == -1)
                goto error;
            if (truth)
                goto fallback; /* a string or an object of entries: the Python road */
            entries = NULL;
        }
        Py_ssize_t dicts = 0;
        if (entries != NULL && entries != Py_None) {
            for (Py_ssize_t k = 0; k < PyList_GET_SIZE(entries); k++)
                dicts += PyDict_CheckExact(PyList_GET_ITEM(entries, k));
        }
        if (dicts == 0) {
            int has_error = PyDict_Contains(item, s_error);
            if (has_error == -1)
                goto error;
            if (has_error)
                continue;
        }
        if (ttl < previous)
            goto fallback; /* hops out of order: the Python road sorts them */
        previous = ttl;
        PyObject *step = NULL;
        double least;
        int has_least;
        if (dicts) {
            int ok = hop_step(ttl, entries, &step, &least, &has_least);
            if (ok == -1)
                goto error;
            if (ok == 0)
                goto fallback;
        }
        if (step == NULL) { /* nobody answered: (ttl, None, ()) unless it trails */
            PyObject *py_ttl = PyLong_FromLong(ttl);
            if (py_ttl == NULL)
                goto error;
            step = PyTuple_Pack(3, py_ttl, Py_None, s_empty_tuple);
            Py_DECREF(py_ttl);
            if (step == NULL)
                goto error;
        }
        else {
            answered = PyList_GET_SIZE(steps) + 1;
            if (!reached && dst != Py_None) {
                PyObject *items = PyTuple_GET_ITEM(step, 2);
                for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(items); k++) {
                    PyObject *addr = PyTuple_GET_ITEM(PyTuple_GET_ITEM(items, k), 0);
                    if (addr == dst || PyUnicode_Compare(addr, dst) == 0) {
                        reached = 1;
                        break;
                    }
                }
            }
        }
        int appended = PyList_Append(steps, step);
        Py_DECREF(step);
        if (appended == -1)
            goto error;
    }
    PyObject *kept = PyList_GetSlice(steps, 0, answered);
    Py_DECREF(steps);
    if (kept == NULL)
        return NULL;
    PyObject *as_tuple = PyList_AsTuple(kept);
    Py_DECREF(kept);
    if (as_tuple == NULL)
        return NULL;
    PyObject *result = Py_BuildValue("(NO)", as_tuple, reached ? Py_True : Py_False);
    return result;
fallback:
    Py_DECREF(steps);
    Py_RETURN_NONE;
error:
    Py_DECREF(steps);
    return NULL;
}

/* ---------------------------------------------------------------- graph_steps -------- */

/* dict[key], borrowed; NULL with KeyError (or the lookup's error) when it is missing. */
static PyObject *
item_of(PyObject *dict, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(dict, key);
    if (value == NULL && !PyErr_Occurred())
        PyErr_SetObject(PyExc_KeyError, key);
    return value;
}

/* data[key] += amount (ints; generic arithmetic, like Python's). 0 ok, -1 error. */
static int
add_to_item(PyObject *dict, PyObject *key, PyObject *amount)
{
    PyObject *value = item_of(dict, key);
    if (value == NULL)
        return -1;
    PyObject *sum = PyNumber_Add(value, amount);
    if (sum == NULL)
        return -1;
    int status = PyDict_SetItem(dict, key, sum);
    Py_DECREF(sum);
    return status;
}

static PyObject *one;

/* data[key] = value when the key is missing or None or value is less (graph.py's
 * "least = data.get(key); if least is None or value < least"). 0 ok, -1 error. */
static int
keep_least(PyObject *data, PyObject *key, PyObject *value)
{
    PyObject *least = PyDict_GetItemWithError(data, key);
    if (least == NULL && PyErr_Occurred())
        return -1;
    int lower = 1;
    if (least != NULL && least != Py_None) {
        Py_INCREF(least);
        lower = PyObject_RichCompareBool(value, least, Py_LT);
        Py_DECREF(least);
        if (lower == -1)
            return -1;
    }
    return lower ? PyDict_SetItem(data, key, value) : 0;
}

/* adjacency[key], a node's dict of neighbours (borrowed), or NULL with KeyError or
 * TypeError set. */
static PyObject *
neighbours_of(PyObject *adjacency, PyObject *key)
{
    PyObject *nbrs = PyDict_GetItemWithError(adjacency, key); /* borrowed */
    if (nbrs == NULL || !PyDict_Check(nbrs)) {
        if (nbrs != NULL)
            PyErr_SetString(PyExc_TypeError, "adjacency dicts expected");
        else if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return nbrs;
}

/* graph.py's _edge(succ, pred, taken, trace, u, v, gap, delta): a new edge's attributes go
 * into succ[u][v] and pred[v][u] (both ends are nodes already). 0 ok, -1 error. */
static int
edge(PyObject *succ, PyObject *pred, PyObject *taken, PyObject *trace, PyObject *u, PyObject *v,
     PyObject *gap, PyObject *delta)
{
    PyObject *out = neighbours_of(succ, u); /* borrowed */
    if (out == NULL)
        return -1;
    PyObject *pair = PyTuple_Pack(2, u, v);
    if (pair == NULL)
        return -1;
    int status = -1;
    PyObject *data = PyDict_GetItemWithError(out, v); /* borrowed */
    if (data == NULL) {
        if (PyErr_Occurred())
            goto done;
        PyObject *in = neighbours_of(pred, v); /* borrowed */
        if (in == NULL)
            goto done;
        if (PySet_Add(taken, pair) == -1)
            goto done;
        PyObject *ids = PyList_New(1);
        if (ids == NULL)
            goto done;
        PyList_SET_ITEM(ids, 0, Py_NewRef(trace));
        PyObject *fresh = PyDict_New();
        if (fresh == NULL) {
            Py_DECREF(ids);
            goto done;
        }
        if (PyDict_SetItem(fresh, s_traces, one) == -1 ||
            PyDict_SetItem(fresh, s_trace_ids, ids) == -1 ||
            PyDict_SetItem(fresh, s_gap, gap) == -1 ||
            (delta != Py_None && PyDict_SetItem(fresh, s_rtt_delta_min, delta) == -1) ||
            PyDict_SetItem(out, v, fresh) == -1 || PyDict_SetItem(in, u, fresh) == -1) {
            Py_DECREF(ids);
            Py_DECREF(fresh);
            goto done;
        }
        Py_DECREF(ids);
        Py_DECREF(fresh);
        status = 0;
        goto done;
    }
    Py_INCREF(data);
    int counted = PySet_Contains(taken, pair);
    if (counted == -1)
        goto release;
    if (!counted) {
        if (PySet_Add(taken, pair) == -1 || add_to_item(data, s_traces, one) == -1)
            goto release;
        PyObject *ids = item_of(data, s_trace_ids);
        if (ids == NULL)
            goto release;
        Py_ssize_t length = PyObject_Length(ids);
        if (length == -1)
            goto release;
        if (length < TRACE_ID_CAP) {
            PyObject *appended = PyObject_CallMethod(ids, "append", "O", trace);
            if (appended == NULL)
                goto release;
            Py_DECREF(appended);
        }
    }
    PyObject *known_gap = item_of(data, s_gap);
    if (known_gap == NULL)
        goto release;
    int smaller = PyObject_RichCompareBool(gap, known_gap, Py_LT);
    if (smaller == -1 || (smaller && PyDict_SetItem(data, s_gap, gap) == -1))
        goto release;
    if (delta != Py_None) {
        if (keep_least(data, s_rtt_delta_min, delta) == -1)
            goto release;
    }
    status = 0;
release:
    Py_DECREF(data);
done:
    Py_DECREF(pair);
    return status;
}

/* The trace meets a node at a TTL: counted once per trace (seen), the TTL added to its
 * set. 0 ok, -1 error. */
static int
meet_node(PyObject *node, PyObject *key, PyObject *seen, PyObject *ttl_sets, PyObject *ttl)
{
    int was_seen = PySet_Contains(seen, key);
    if (was_seen == -1 ||
        (!was_seen && (PySet_Add(seen, key) == -1 || add_to_item(node, s_traces, one) == -1)))
        return -1;
    PyObject *ttls = item_of(ttl_sets, key);
    if (ttls == NULL)
        return -1;
    if (PySet_Check(ttls))
        return PySet_Add(ttls, ttl);
    PyObject *added = PyObject_CallMethod(ttls, "add", "O", ttl);
    if (added == NULL)
        return -1;
    Py_DECREF(added);
    return 0;
}

/* nodes[key] (a new reference), made by builder.<make>(key[, answer, scope]) when it is
 * missing, and met by the trace at this TTL (meet_node). NULL on error. */
static PyObject *
visit_node(PyObject *builder, PyObject *nodes, PyObject *seen, PyObject *ttl_sets, PyObject *ttl,
           PyObject *key, PyObject *make, PyObject *answer, PyObject *scope)
{
    PyObject *node = PyDict_GetItemWithError(nodes, key);
    if (node != NULL)
        Py_INCREF(node);
    else if (PyErr_Occurred())
        return NULL;
    else if ((node = PyObject_CallMethodObjArgs(builder, make, key, answer, scope, NULL)) == NULL)
        return NULL; /* answer NULL ends the arguments: builder._star_node(key) */
    if (meet_node(node, key, seen, ttl_sets, ttl) == -1) {
        Py_DECREF(node);
        return NULL;
    }
    return node;
}

/* node["names"] (or "mpls") += the values not in it yet (graph.py's list comprehension). */
static int
extend_new(PyObject *node, PyObject *name, PyObject *values)
{
    PyObject *known = item_of(node, name);
    if (known == NULL)
        return -1;
    Py_INCREF(known);
    PyObject *fresh = PyList_New(0);
    PyObject *iterator = fresh ? PyObject_GetIter(values) : NULL;
    PyObject *value;
    int status = -1;
    if (iterator == NULL)
        goto done;
    while ((value = PyIter_Next(iterator)) != NULL) {
        int inside = PySequence_Contains(known, value);
        if (inside == -1 || (!inside && PyList_Append(fresh, value) == -1)) {
            Py_DECREF(value);
            goto done;
        }
        Py_DECREF(value);
    }
    if (PyErr_Occurred())
        goto done;
    PyObject *extended = PyObject_CallMethod(known, "extend", "O", fresh);
    if (extended == NULL)
        goto done;
    Py_DECREF(extended);
    status = 0;
done:
    Py_XDECREF(iterator);
    Py_XDECREF(fresh);
    Py_DECREF(known);
    return status;
}

/* One answering address of a step (graph.py: the body of the answers loop); appends its key
 * to current. 0 ok, -1 error. */
static int
answer_node(PyObject *builder, PyObject *nodes, PyObject *rtt_ns, PyObject *ttl_sets,
            PyObject *seen, PyObject *scope_name, PyObject *ttl, PyObject *answer,
            PyObject *stat, PyObject *current)
{
    int status = -1;
    PyObject *key = NULL, *cls = NULL, *special = NULL, *addr = NULL;
    if (!PyTuple_Check(stat) || PyTuple_GET_SIZE(stat) != 6) {
        PyErr_SetString(PyExc_TypeError, "an address digest is a 6-tuple");
        return -1;
    }
    PyObject *low = PyTuple_GET_ITEM(stat, 1), *total = PyTuple_GET_ITEM(stat, 2);
    PyObject *count = PyTuple_GET_ITEM(stat, 3), *names = PyTuple_GET_ITEM(stat, 4);
    PyObject *stacks = PyTuple_GET_ITEM(stat, 5);
    cls = PyObject_GetAttr(answer, s_classification);
    if (cls == NULL)
        goto done;
    special = PyObject_GetAttr(cls, s_special);
    if (special == NULL)
        goto done;
    int is_special = PyObject_IsTrue(special);
    if (is_special == -1)
        goto done;
    addr = PyObject_GetAttr(answer, s_addr);
    if (addr == NULL)
        goto done;
    if (is_special)
        key = PyUnicode_FromFormat("%S@%S", addr, scope_name);
    else
        key = Py_NewRef(addr);
    if (key == NULL)
        goto done;
    PyObject *node = visit_node(builder, nodes, seen, ttl_sets, ttl, key, s__hop_node, answer,
                                is_special ? scope_name : Py_None);
    if (node == NULL)
        goto done;
    int truth = PyObject_IsTrue(names);
    if (truth == -1 || (truth && extend_new(node, s_names, names) == -1))
        goto release;
    truth = PyObject_IsTrue(stacks);
    if (truth == -1 || (truth && extend_new(node, s_mpls, stacks) == -1))
        goto release;
    truth = PyObject_IsTrue(count);
    if (truth == -1)
        goto release;
    if (truth) {
        if (keep_least(node, s_rtt_min, low) == -1)
            goto release;
        if (add_to_item(rtt_ns, key, total) == -1 || add_to_item(node, s_rtt_count, count) == -1)
            goto release;
    }
    if (PyList_Append(current, key) == -1)
        goto release;
    status = 0;
release:
    Py_DECREF(node);
done:
    Py_XDECREF(key);
    Py_XDECREF(addr);
    Py_XDECREF(special);
    Py_XDECREF(cls);
    return status;
}

/* A silent step's node (graph.py: _star_key and the anonymous node). 0 ok, -1 error. */
static int
star_node(PyObject *builder, PyObject *nodes, PyObject *ttl_sets, PyObject *seen,
          PyObject *steps, Py_ssize_t index, PyObject *vantage, PyObject *keys, PyObject *view,
          PyObject *ttl, PyObject *current)
{
    PyObject *key = PyObject_CallMethod(builder, "_star_key", "OnOOO", steps, index, vantage,
                                        keys, view);
    if (key == NULL)
        return -1;
    PyObject *node = visit_node(builder, nodes, seen, ttl_sets, ttl, key, s__star_node, NULL,
                                NULL);
    int status = node != NULL && PyList_Append(current, key) == 0 ? 0 : -1;
    Py_XDECREF(node);
    Py_DECREF(key);
    return status;
}

/* graph_steps(builder, view, trace, vantage, scope_name, seen, taken) -> (path, previous):
 * GraphBuilder._add_steps (graph.py), the reference. Nothing here is handed back: the
 * state it changes is the builder's, so every type is treated as Python would. */
static PyObject *
graph_steps(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "graph_steps(builder, view, trace, vantage, scope_name, seen, taken)");
        return NULL;
    }
    PyObject *builder = args[0], *view = args[1], *trace = args[2], *vantage = args[3];
    PyObject *scope_name = args[4], *seen = args[5], *taken = args[6];
    if (!PySet_Check(seen) || !PySet_Check(taken)) {
        PyErr_SetString(PyExc_TypeError, "seen and taken are sets");
        return NULL;
    }
    PyObject *nodes = NULL, *succ = NULL, *pred = NULL, *rtt_ns = NULL, *ttl_sets = NULL;
    PyObject *steps = NULL;
    PyObject *path = NULL, *keys = NULL, *previous = NULL, *previous_rtt = NULL;
    PyObject *previous_ttl = NULL, *result = NULL;
    nodes = PyObject_GetAttrString(builder, "nodes");
    succ = PyObject_GetAttrString(builder, "succ");
    pred = PyObject_GetAttrString(builder, "pred");
    rtt_ns = PyObject_GetAttrString(builder, "rtt_ns");
    ttl_sets = PyObject_GetAttrString(builder, "ttl_sets");
    steps = PyObject_GetAttrString(view, "steps");
    if (!nodes || !succ || !pred || !rtt_ns || !ttl_sets || !steps)
        goto done;
    if (!PyDict_Check(nodes) || !PyDict_Check(succ) || !PyDict_Check(pred) ||
        !PyDict_Check(rtt_ns) ||
        !PyDict_Check(ttl_sets) || !PyTuple_Check(steps)) {
        PyErr_SetString(PyExc_TypeError, "a GraphBuilder's dicts and a view's steps tuple");
        goto done;
    }
    path = PyList_New(0);
    keys = PyList_New(0);
    previous = PyList_New(1);
    previous_rtt = PyFloat_FromDouble(0.0);
    previous_ttl = PyLong_FromLong(0);
    if (!path || !keys || !previous || !previous_rtt || !previous_ttl)
        goto done;
    PyList_SET_ITEM(previous, 0, Py_NewRef(vantage));
    if (PyList_Append(path, vantage) == -1)
        goto done;
    Py_ssize_t n = PyTuple_GET_SIZE(steps);
    for (Py_ssize_t index = 0; index < n; index++) {
        PyObject *step = PyTuple_GET_ITEM(steps, index);
        if (!PyTuple_Check(step) || PyTuple_GET_SIZE(step) != 5) {
            PyErr_SetString(PyExc_TypeError, "a step is a 5-tuple");
            goto done;
        }
        PyObject *ttl = PyTuple_GET_ITEM(step, 0), *answers = PyTuple_GET_ITEM(step, 1);
        PyObject *rtt = PyTuple_GET_ITEM(step, 3), *stats = PyTuple_GET_ITEM(step, 4);
        PyObject *current = PyList_New(0);
        if (current == NULL)
            goto done;
        if (!PyTuple_Check(answers) || !PyTuple_Check(stats) ||
            PyTuple_GET_SIZE(answers) != PyTuple_GET_SIZE(stats)) {
            PyErr_SetString(PyExc_ValueError, "a step's answers and stats are aligned tuples");
            Py_DECREF(current);
            goto done;
        }
        Py_ssize_t count = PyTuple_GET_SIZE(answers);
        int failed = 0;
        if (count) {
            for (Py_ssize_t k = 0; k < count && !failed; k++)
                failed = answer_node(builder, nodes, rtt_ns, ttl_sets, seen, scope_name, ttl,
                                     PyTuple_GET_ITEM(answers, k), PyTuple_GET_ITEM(stats, k),
                                     current) == -1;
        }
        else {
            failed = star_node(builder, nodes, ttl_sets, seen, steps, index, vantage, keys, view,
                               ttl, current) == -1;
        }
        if (failed) {
            Py_DECREF(current);
            goto done;
        }
        /* delta = None if rtt is None or previous_rtt is None else rtt - previous_rtt */
        PyObject *delta;
        if (rtt == Py_None || previous_rtt == Py_None)
            delta = Py_NewRef(Py_None);
        else if (PyFloat_CheckExact(rtt) && PyFloat_CheckExact(previous_rtt))
            delta = PyFloat_FromDouble(PyFloat_AS_DOUBLE(rtt) - PyFloat_AS_DOUBLE(previous_rtt));
        else
            delta = PyNumber_Subtract(rtt, previous_rtt);
        PyObject *step_gap = delta ? PyNumber_Subtract(ttl, previous_ttl) : NULL;
        PyObject *gap = step_gap ? PyNumber_Subtract(step_gap, one) : NULL;
        Py_XDECREF(step_gap);
        if (gap == NULL) {
            Py_XDECREF(delta);
            Py_DECREF(current);
            goto done;
        }
        Py_ssize_t n_prev = PyList_GET_SIZE(previous), n_cur = PyList_GET_SIZE(current);
        for (Py_ssize_t a = 0; a < n_prev && !failed; a++)
            for (Py_ssize_t b = 0; b < n_cur && !failed; b++)
                failed = edge(succ, pred, taken, trace, PyList_GET_ITEM(previous, a),
                              PyList_GET_ITEM(current, b), gap, delta) == -1;
        Py_DECREF(delta);
        Py_DECREF(gap);
        if (failed || PyList_Append(keys, current) == -1) {
            Py_DECREF(current);
            goto done;
        }
        for (Py_ssize_t b = 0; b < n_cur; b++) {
            if (PyList_Append(path, PyList_GET_ITEM(current, b)) == -1) {
                Py_DECREF(current);
                goto done;
            }
        }
        Py_SETREF(previous, current);
        Py_SETREF(previous_rtt, Py_NewRef(rtt));
        Py_SETREF(previous_ttl, Py_NewRef(ttl));
    }
    result = PyTuple_Pack(2, path, previous);
done:
    Py_XDECREF(nodes);
    Py_XDECREF(succ);
    Py_XDECREF(pred);
    Py_XDECREF(rtt_ns);
    Py_XDECREF(ttl_sets);
    Py_XDECREF(steps);
    Py_XDECREF(path);
    Py_XDECREF(keys);
    Py_XDECREF(previous);
    Py_XDECREF(previous_rtt);
    Py_XDECREF(previous_ttl);
    return result;
}

/* ---------------------------------------------------------------- linux_digests ------ */

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

/* is_address (topo/addresses.py): inet_pton IPv4, else IPv6 before any '%'. */
static int
token_is_address(const char *token, Py_ssize_t length)
{
    char buffer[128];
    unsigned char out[16];
    if (length <= 0 || length >= (Py_ssize_t)sizeof(buffer))
        return 0;
    memcpy(buffer, token, length);
    buffer[length] = '\0';
    if (inet_pton(AF_INET, buffer, out) == 1)
        return 1;
    char *zone = strchr(buffer, '%');
    if (zone != NULL)
        *zone = '\0';
    return inet_pton(AF_INET6, buffer, out) == 1;
}

/* _RTT (linux_traceroute.py): '<'? digits ('.' digits)? ('ms' | 'msec')?; *suffix says
 * whether the unit was attached. 1 when it matches. */
static int
rtt_token(const char *t, Py_ssize_t n, double *value, int *suffix)
{
    Py_ssize_t i = 0;
    if (i < n && t[i] == '<')
        i++;
    Py_ssize_t start = i;
    while (i < n && isdigit((unsigned char)t[i]))
        i++;
    if (i == start)
        return 0;
    if (i < n && t[i] == '.') {
        Py_ssize_t frac = ++i;
        while (i < n && isdigit((unsigned char)t[i]))
            i++;
        if (i == frac)
            return 0;
    }
    Py_ssize_t end = i;
    if (i == n)
        *suffix = 0;
    else if ((n - i == 2 && memcmp(t + i, "ms", 2) == 0) ||
             (n - i == 4 && memcmp(t + i, "msec", 4) == 0))
        *suffix = 1;
    else
        return 0;
    char buffer[64];
    if (end - start >= (Py_ssize_t)sizeof(buffer))
        return -1; /* a number too long for exact handling here: the Python road */
    memcpy(buffer, t + start, end - start);
    buffer[end - start] = '\0';
    *value = strtod(buffer, NULL);
    return 1;
}

static int
is_unit(const char *t, Py_ssize_t n)
{
    if (n == 2)
        return tolower((unsigned char)t[0]) == 'm' && tolower((unsigned char)t[1]) == 's';
    if (n == 4)
        return strncasecmp(t, "msec", 4) == 0;
    return 0;
}

typedef struct {
    PyObject *steps;    /* list of step tuples of the current trace */
    Py_ssize_t answered; /* steps up to the last answered one are kept */
    Py_ssize_t line;
    PyObject *dst, *src; /* borrowed from the header's tuple (kept alive in `header`) */
    PyObject *header;
    int has_dst;
    long last_ttl;
    int has_hops;
} TraceState;

static void
trace_clear(TraceState *trace)
{
    Py_CLEAR(trace->steps);
    Py_CLEAR(trace->header);
    trace->dst = trace->src = Py_None;
    trace->has_dst = 0;
    trace->answered = 0;
    trace->has_hops = 0;
    trace->last_ttl = -1;
}

/* parse_traceroute_text's finish_hop: the hop being read joins the trace. 0 ok, -1 error. */
static int
finish_hop(TraceState *trace, PyObject **pending, int answered)
{
    if (*pending == NULL)
        return 0;
    if (PyList_Append(trace->steps, *pending) == -1)
        return -1;
    if (answered)
        trace->answered = PyList_GET_SIZE(trace->steps);
    trace->has_hops = 1;
    trace->last_ttl = PyLong_AsLong(PyTuple_GET_ITEM(*pending, 0));
    Py_CLEAR(*pending);
    return 0;
}

/* Append the current trace's digest to out. 0 ok, -1 error. */
static int
trace_emit(TraceState *trace, PyObject *source, PyObject *digest_class, PyObject *out)
{
    PyObject *kept = PyList_GetSlice(trace->steps, 0, trace->answered);
    if (kept == NULL)
        return -1;
    PyObject *steps = PyList_AsTuple(kept);
    Py_DECREF(kept);
    if (steps == NULL)
        return -1;
    int reached = 0;
    if (trace->dst != Py_None) {
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(steps) && !reached; k++) {
            PyObject *items = PyTuple_GET_ITEM(PyTuple_GET_ITEM(steps, k), 2);
            for (Py_ssize_t m = 0; m < PyTuple_GET_SIZE(items); m++) {
                int eq = PyObject_RichCompareBool(
                    PyTuple_GET_ITEM(PyTuple_GET_ITEM(items, m), 0), trace->dst, Py_EQ);
                if (eq == -1) {
                    Py_DECREF(steps);
                    return -1;
                }
                if (eq) {
                    reached = 1;
                    break;
                }
            }
        }
    }
    PyObject *trace_id = PyUnicode_FromFormat("%U:%zd", source, trace->line);
    if (trace_id == NULL) {
        Py_DECREF(steps);
        return -1;
    }
    PyObject *digest = PyObject_CallFunction(digest_class, "OOOOON", trace_id, source, trace->src,
                                             trace->dst, reached ? Py_True : Py_False, steps);
    Py_DECREF(trace_id);
    if (digest == NULL)
        return -1;
    int status = PyList_Append(out, digest);
    Py_DECREF(digest);
    return status;
}

/* One hop line's tokens into a step (the subset of linux_traceroute._consume that -n
 * output uses). 1: *step set; 0: use Python; -1: error. */
static int
hop_tokens(long ttl, const char *body, Py_ssize_t n, PyObject **step, int *answered)
{
    Acc accs[16];
    Py_ssize_t n_accs = 0;
    PyObject *addr = NULL; /* current address (new reference) */
    const char *addr_text = NULL;
    Py_ssize_t addr_len = 0;
    Py_ssize_t replies = 0;
    int last_is_star = 0;
    double least = 0.0;
    int have_least = 0;
    *step = NULL;
    *answered = 0;
    /* tokens: split on spaces and tabs */
    const char *tokens[256];
    Py_ssize_t lengths[256];
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n;) {
        while (i < n && (body[i] == ' ' || body[i] == '\t'))
            i++;
        if (i >= n)
            break;
        Py_ssize_t start = i;
        while (i < n && body[i] != ' ' && body[i] != '\t')
            i++;
        if (count == 256)
            goto fallback;
        tokens[count] = body + start;
        lengths[count++] = i - start;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *t = tokens[i];
        Py_ssize_t len = lengths[i];
        const char *nxt = i + 1 < count ? tokens[i + 1] : "";
        Py_ssize_t nxt_len = i + 1 < count ? lengths[i + 1] : 0;
        double value;
        int suffix = 0;
        int rtt = (len == 1 && t[0] == '*') ? 0 : rtt_token(t, len, &value, &suffix);
        if (rtt == -1)
            goto fallback;
        if (len == 1 && t[0] == '*') {
            replies++;
            last_is_star = 1;
            continue;
        }
        if (rtt == 1 && (suffix || is_unit(nxt, nxt_len))) {
            if (addr == NULL)
                goto fallback; /* an RTT before any address: an error line, Python says */
            if (!(fabs(value) <= RTT_LIMIT_MS))
                goto fallback;
            Acc *acc = NULL;
            for (Py_ssize_t k = 0; k < n_accs; k++) {
                if (accs[k].addr == addr) {
                    acc = &accs[k];
                    break;
                }
            }
            if (acc == NULL) {
                if (n_accs == 16)
                    goto fallback;
                acc = &accs[n_accs++];
                acc->addr = addr;
                Py_INCREF(addr); /* accs own their addresses */
                acc->total = 0;
                acc->count = 0;
                acc->low = 0.0;
            }
            int64_t ns = (int64_t)nearbyint(value * 1e6);
            if (__builtin_add_overflow(acc->total, ns, &acc->total))
                goto fallback;
            if (acc->count == 0 || value < acc->low)
                acc->low = value;
            acc->count++;
            replies++;
            last_is_star = 0;
            if (!suffix)
                i++;
            continue;
        }
        if (len >= 2 && ((t[0] == '(' && t[len - 1] == ')') || (t[0] == '[' && t[len - 1] == ']') ||
                         (t[0] == '<' && t[len - 1] == '>')))
            goto fallback; /* names, AS numbers, ICMP extensions: the Python road */
        if (t[0] == '!') {
            if (replies == 0 || last_is_star)
                goto fallback; /* a flag without a reply: an error, Python says */
            continue; /* flags: not in a digest */
        }
        if ((len >= 2 && t[0] == 'F' && t[1] == '=') || t[0] == '\'')
            goto fallback; /* --mtu and --back marks */
        if (token_is_address(t, len)) {
            if (nxt_len >= 1 && nxt[0] == '(')
                goto fallback;
            /* the same address again keeps its accumulator */
            if (addr != NULL && addr_len == len && memcmp(addr_text, t, len) == 0)
                continue;
            PyObject *fresh = NULL;
            for (Py_ssize_t k = 0; k < n_accs; k++) {
                if (PyUnicode_GET_LENGTH(accs[k].addr) == len &&
                    memcmp(PyUnicode_DATA(accs[k].addr), t, len) == 0) {
                    fresh = Py_NewRef(accs[k].addr);
                    break;
                }
            }
            if (fresh == NULL) {
                fresh = PyUnicode_FromStringAndSize(t, len);
                if (fresh == NULL)
                    goto error;
                PyUnicode_InternInPlace(&fresh);
            }
            Py_XSETREF(addr, fresh);
            addr_text = t;
            addr_len = len;
            continue;
        }
        goto fallback; /* a name without an address, or something else: Python */
    }
    if (replies == 0)
        goto fallback; /* "not a hop line": an error, Python says */
    if (n_accs) {
        PyObject *items = PyTuple_New(n_accs);
        if (items == NULL)
            goto error;
        for (Py_ssize_t k = 0; k < n_accs; k++) {
            Acc *acc = &accs[k];
            if (!have_least || acc->low < least) {
                least = acc->low;
                have_least = 1;
            }
            PyObject *item = Py_BuildValue("(OdLnOO)", acc->addr, acc->low, (long long)acc->total,
                                           acc->count, s_empty_tuple, s_empty_tuple);
            if (item == NULL) {
                Py_DECREF(items);
                goto error;
            }
            PyTuple_SET_ITEM(items, k, item);
        }
        *step = Py_BuildValue("(ldN)", ttl, least, items);
        *answered = 1;
    }
    else {
        *step = Py_BuildValue("(lOO)", ttl, Py_None, s_empty_tuple);
    }
    if (*step == NULL)
        goto error;
    for (Py_ssize_t k = 0; k < n_accs; k++)
        Py_DECREF(accs[k].addr);
    Py_XDECREF(addr);
    return 1;
fallback:
    for (Py_ssize_t k = 0; k < n_accs; k++)
        Py_DECREF(accs[k].addr);
    Py_XDECREF(addr);
    return 0;
error:
    for (Py_ssize_t k = 0; k < n_accs; k++)
        Py_DECREF(accs[k].addr);
    Py_XDECREF(addr);
    return -1;
}

/* linux_digests(text, source, header_ends, digest_class) -> list | None: the digests of
 * linux_traceroute.parse(text) for a text it reads without an error and whose every line
 * is a header or a plain hop line (-n output); None for anything else. header_ends(line)
 * is linux_traceroute._header_ends. */
static PyObject *
linux_digests(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError,
                        "linux_digests(text, source, header_ends, digest_class)");
        return NULL;
    }
    PyObject *text = args[0], *source = args[1], *header_ends = args[2];
    PyObject *digest_class = args[3];
    if (!PyUnicode_CheckExact(text) || !PyUnicode_CheckExact(source))
        Py_RETURN_NONE;
    if (!PyUnicode_IS_ASCII(text))
        Py_RETURN_NONE;
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    const char *data = (const char *)PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = data[i];
        if (c >= 0x20 && c < 0x7f)
            continue;
        if (c == '\t' || c == '\n' || (c == '\r' && i + 1 < size && data[i + 1] == '\n'))
            continue;
        Py_RETURN_NONE; /* other line breaks and control characters: Python's splitlines */
    }
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    TraceState trace = {NULL, 0, 0, Py_None, Py_None, NULL, 0, -1, 0};
    int active = 0; /* a trace has begun */
    PyObject *pending = NULL; /* the hop being read (its step), and whether it answered */
    int pending_answered = 0;
    Py_ssize_t number = 0;
    for (Py_ssize_t at = 0; at < size;) {
        Py_ssize_t end = at;
        while (end < size && data[end] != '\n')
            end++;
        Py_ssize_t stop = end;
        if (stop > at && data[stop - 1] == '\r')
            stop--;
        const char *line = data + at;
        Py_ssize_t length = stop - at;
        at = end + 1;
        number++;
        Py_ssize_t i = 0;
        while (i < length && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == length)
            continue; /* blank */
        if (isdigit((unsigned char)line[i])) {
            Py_ssize_t start = i;
            while (i < length && isdigit((unsigned char)line[i]) && i - start < 4)
                i++;
            if (i - start > 3 || (i < length && line[i] != ' ' && line[i] != '\t'))
                goto fallback;
            long ttl = strtol(line + start, NULL, 10);
            if (finish_hop(&trace, &pending, pending_answered) == -1)
                goto error;
            if (!active || (trace.has_hops && ttl <= trace.last_ttl)) {
                if (active && trace_emit(&trace, source, digest_class, out) == -1)
                    goto error;
                trace_clear(&trace);
                trace.steps = PyList_New(0);
                if (trace.steps == NULL)
                    goto error;
                trace.line = number;
                active = 1;
            }
            int ok = hop_tokens(ttl, line + i, length - i, &pending, &pending_answered);
            if (ok == -1)
                goto error;
            if (ok == 0)
                goto fallback;
            continue;
        }
        if (length - i >= 10 && strncasecmp(line + i, "traceroute", 10) == 0) {
            PyObject *line_text = PyUnicode_FromStringAndSize(line, length);
            if (line_text == NULL)
                goto error;
            PyObject *ends = PyObject_CallOneArg(header_ends, line_text);
            Py_DECREF(line_text);
            if (ends == NULL)
                goto error;
            if (ends == Py_None || !PyTuple_Check(ends) || PyTuple_GET_SIZE(ends) != 2) {
                Py_DECREF(ends);
                goto fallback; /* a warning line, or not a header: Python */
            }
            if (finish_hop(&trace, &pending, pending_answered) == -1) {
                Py_DECREF(ends);
                goto error;
            }
            if (active && (trace.has_hops || trace.has_dst) &&
                trace_emit(&trace, source, digest_class, out) == -1) {
                Py_DECREF(ends);
                goto error;
            }
            trace_clear(&trace);
            trace.steps = PyList_New(0);
            if (trace.steps == NULL) {
                Py_DECREF(ends);
                goto error;
            }
            trace.header = ends; /* owns the tuple: dst and src borrowed from it */
            trace.dst = PyTuple_GET_ITEM(ends, 0);
            trace.src = PyTuple_GET_ITEM(ends, 1);
            trace.has_dst = trace.dst != Py_None;
            trace.line = number;
            active = 1;
            continue;
        }
        goto fallback; /* continuation, warning or error lines: Python */
    }
    if (finish_hop(&trace, &pending, pending_answered) == -1)
        goto error;
    if (active && (trace.has_hops || trace.has_dst) &&
        trace_emit(&trace, source, digest_class, out) == -1)
        goto error;
    trace_clear(&trace);
    return out;
fallback:
    Py_XDECREF(pending);
    trace_clear(&trace);
    Py_DECREF(out);
    Py_RETURN_NONE;
error:
    Py_XDECREF(pending);
    trace_clear(&trace);
    Py_DECREF(out);
    return NULL;
}

/* ---------------------------------------------------------------- module ------------- */

static PyMethodDef methods[] = {
    {"atlas_steps", (PyCFunction)(void (*)(void))atlas_steps, METH_FASTCALL,
     "atlas_steps(hops, dst) -> (steps, reached) | None: result_to_digest's steps."},
    {"linux_digests", (PyCFunction)(void (*)(void))linux_digests, METH_FASTCALL,
     "linux_digests(text, source, header_ends, digest_class) -> list | None: the digests of"
     " linux_traceroute.parse(text) for plain -n output."},
    {"graph_steps", (PyCFunction)(void (*)(void))graph_steps, METH_FASTCALL,
     "graph_steps(builder, view, trace, vantage, scope_name, seen, taken) -> (path, previous):"
     " GraphBuilder._add_steps."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "topo._speedups",
    "Compiled roads to what topo's Python functions give (see topo/_speedups.c).", -1,
    methods,
};

#define INTERN(var, text)                                                                    \
    do {                                                                                     \
        var = PyUnicode_InternFromString(text);                                              \
        if (var == NULL)                                                                     \
            return NULL;                                                                     \
    } while (0)

PyMODINIT_FUNC
PyInit__speedups(void)
{
    INTERN(s_hop, "hop");
    INTERN(s_result, "result");
    INTERN(s_error, "error");
    INTERN(s_from, "from");
    INTERN(s_x, "x");
    INTERN(s_icmpext, "icmpext");
    INTERN(s_rtt, "rtt");
    INTERN(s_star, "*");
    INTERN(s_traces, "traces");
    INTERN(s_trace_ids, "trace_ids");
    INTERN(s_gap, "gap");
    INTERN(s_rtt_delta_min, "rtt_delta_min");
    INTERN(s_names, "names");
    INTERN(s_mpls, "mpls");
    INTERN(s_rtt_min, "rtt_min");
    INTERN(s_rtt_count, "rtt_count");
    INTERN(s_classification, "classification");
    INTERN(s_special, "special");
    INTERN(s_addr, "addr");
    INTERN(s__hop_node, "_hop_node");
    INTERN(s__star_node, "_star_node");
    one = PyLong_FromLong(1);
    if (one == NULL)
        return NULL;
    s_empty_tuple = PyTuple_New(0);
    if (s_empty_tuple == NULL)
        return NULL;
    return PyModule_Create(&module_def);
}
