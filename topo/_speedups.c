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
 *   graph_add(builder, view, trace, vantage, scope, hop_node, star_key, edge_extra)
 *       -> list | None
 *       topo.graph.GraphBuilder.add for a view (see graph.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

/* Interned key strings, made once. */
static PyObject *s_hop, *s_result, *s_error, *s_from, *s_x, *s_icmpext, *s_rtt, *s_star;
static PyObject *s_traces, *s_trace_ids, *s_gap, *s_rtt_delta_min, *s_names, *s_mpls;
static PyObject *s_rtt_min, *s_rtt_count, *s_reached, *s_classification, *s_special;
static PyObject *s_addr, *s_at, *s_empty_tuple;

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

/* ---------------------------------------------------------------- module ------------- */

static PyMethodDef methods[] = {
    {"atlas_steps", (PyCFunction)(void (*)(void))atlas_steps, METH_FASTCALL,
     "atlas_steps(hops, dst) -> (steps, reached) | None: result_to_digest's steps."},
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
    INTERN(s_reached, "reached");
    INTERN(s_classification, "classification");
    INTERN(s_special, "special");
    INTERN(s_addr, "addr");
    INTERN(s_at, "@");
    s_empty_tuple = PyTuple_New(0);
    if (s_empty_tuple == NULL)
        return NULL;
    return PyModule_Create(&module_def);
}
