/* The engine check's hot loops in C: the same work as the Python beside each, step for step.
 *
 * Checking a learner's engine on a graph of a hundred thousand nodes runs a few loops over every
 * node and every step: reading their graph, the two hooks that record their backward, and the
 * screen that finds the steps worth judging. In Python each costs about what their whole backward
 * does; here, a fraction. Each function below names the Python it stands for (in foreign.py,
 * record.py and checker.py); those stay, as the fallback where this module is not built, and the
 * tests run both and require the same results.
 *
 * Nothing here keeps state between calls, and nothing of the learner's is changed but what the
 * Python it stands for changes.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

static PyObject *str_grad;      /* "grad" */
static PyObject *str_backward;  /* "_backward" */
static PyObject *str_data;      /* "data" */
static PyObject *str_empty;     /* "" */
static PyObject *array_type;    /* array.array */

/* A new ``array.array(typecode)`` of ``n`` zeros (made as ``array(typecode, [0]) * n``, which is
 * a copy of memory, not a conversion of a list), with its items at ``*items``. */
static PyObject *
new_array(const char *typecode, Py_ssize_t n, void **items)
{
    PyObject *one = PyObject_CallFunction(array_type, "s[i]", typecode, 0);
    PyObject *result = one == NULL ? NULL : PySequence_Repeat(one, n);
    Py_XDECREF(one);
    if (result == NULL)
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(result, &view, PyBUF_WRITABLE) < 0) {
        Py_DECREF(result);
        return NULL;
    }
    *items = view.buf; /* stays where it is: the array is not resized while it is ours */
    PyBuffer_Release(&view);
    return result;
}


/* ``getattr(obj, name)``, with *result NULL and no error where there is no such attribute: 1 found,
 * 0 not, -1 an error. The C API's own way (3.13); before that, CPython's ``_PyObject_LookupAttr``,
 * which has done this since 3.7, sparing the AttributeError made and dropped for each node. */
static int
lookup_attr(PyObject *obj, PyObject *name, PyObject **result)
{
#if PY_VERSION_HEX >= 0x030D0000
    return PyObject_GetOptionalAttr(obj, name, result);
#else
    return _PyObject_LookupAttr(obj, name, result);
#endif
}

/* ``foreign.close``: relative 1e-9, absolute floor 1e-12, NaN close only to NaN. */
static int
close_to(double a, double b)
{
    if (a == b)
        return 1;
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    double bound = 1e-9 * m > 1e-12 ? 1e-9 * m : 1e-12;
    return fabs(a - b) <= bound;
}

/* ``math.ulp``, as CPython works it out. */
static double
ulp_of(double x)
{
    x = fabs(x);
    if (isinf(x) || isnan(x))
        return x;
    double next = nextafter(x, INFINITY);
    if (isinf(next))
        return x - nextafter(x, -INFINITY);
    return next - x;
}

/* ``checker._sent_close``: what a step sent beside what the chain rule sends, allowing the rounding
 * of (grad after - grad before), 4 units in the last place of ``scale``. */
static int
sent_close(double sent, double due, double scale)
{
    if (close_to(sent, due))
        return 1;
    return isfinite(scale) && fabs(sent - due) <= 4 * ulp_of(scale);
}

/* ``checker._num`` for what these loops take on: a float, an int, None (0). 0 for anything else
 * (the Python then looks at it). */
static int
number_of(PyObject *x, double *out)
{
    if (PyFloat_CheckExact(x)) {
        *out = PyFloat_AS_DOUBLE(x);
        return 1;
    }
    if (x == Py_None) {
        *out = 0.0;
        return 1;
    }
    if (PyLong_CheckExact(x)) {
        double d = PyLong_AsDouble(x);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        *out = d;
        return 1;
    }
    return 0;
}

/* ``ForeignGraph.operands`` as the compiled walk and ``arrange`` make it (``FlatOperands`` below):
 * each node's operand count and first two operands. */
typedef struct {
    PyObject_HEAD
    Py_ssize_t n, capacity;
    char *arity;             /* 0, 1 or 2; 3: more, in ``wide`` */
    long long *first, *second;
    PyObject **wide;         /* owned tuples of the nodes of more than two (NULL: none yet) */
} FlatOperands;

static PyTypeObject FlatOperandsType;

/* --- a table of their nodes by address --------------------------------------------------------- */

/* NodeTable(objects, operands=None): node -> its number, by address, for the hooks below. Holds
 * ``objects``, so every address in it stays valid, and the graph's FlatOperands where given. */
typedef struct {
    PyObject *key; /* NULL: empty */
    Py_ssize_t number;
} Slot;

typedef struct {
    PyObject_HEAD
    PyObject *objects;
    Py_ssize_t mask;    /* capacity - 1, a power of two at least twice the nodes */
    Py_ssize_t count;
    Slot *slots;        /* a key beside its number: one cache line to read for both */
    FlatOperands *operands; /* each node's first two operands, by number; or NULL */
    /* The node whose step runs and its operands, put here by the step hook: the grads a step reads
     * and writes are these, found here before the table is searched. */
    PyObject *current[3];
    Py_ssize_t current_number[3];
} NodeTable;

static Py_ssize_t
slot_of(NodeTable *table, PyObject *key)
{
    size_t h = ((size_t)key >> 4) * (size_t)0x9E3779B97F4A7C15ULL;
    Py_ssize_t i = (Py_ssize_t)(h >> 20) & table->mask;
    while (table->slots[i].key != NULL && table->slots[i].key != key)
        i = (i + 1) & table->mask;
    return i;
}

/* The number of ``key``, or -1 for an object that is not one of the nodes. */
static Py_ssize_t
number_in(NodeTable *table, PyObject *key)
{
    for (int i = 0; i < 3; i++)
        if (table->current[i] == key)
            return table->current_number[i];
    Slot *slot = &table->slots[slot_of(table, key)];
    return slot->key == NULL ? -1 : slot->number;
}

/* Node ``k``'s step begins: it and its operands go first in ``number_in``. */
static void
table_step(NodeTable *table, Py_ssize_t k)
{
    FlatOperands *operands = table->operands;
    if (operands == NULL || k < 0 || k >= operands->n || k >= PyList_GET_SIZE(table->objects))
        return;
    PyObject *objects = table->objects;
    Py_ssize_t a = operands->first[k], b = operands->second[k];
    if (a >= PyList_GET_SIZE(objects) || b >= PyList_GET_SIZE(objects))
        return;
    table->current[0] = PyList_GET_ITEM(objects, k);
    table->current_number[0] = k;
    table->current[1] = a >= 0 ? PyList_GET_ITEM(objects, a) : NULL;
    table->current_number[1] = a;
    table->current[2] = b >= 0 ? PyList_GET_ITEM(objects, b) : NULL;
    table->current_number[2] = b;
}

/* Empty, with room for ``n`` nodes before it grows. */
static int
table_reset(NodeTable *self, Py_ssize_t n)
{
    Py_ssize_t capacity = 16;
    while (capacity < 2 * n)
        capacity *= 2;
    PyMem_Free(self->slots);
    self->slots = PyMem_Calloc(capacity, sizeof(Slot));
    self->count = 0;
    memset(self->current, 0, sizeof(self->current));
    if (self->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = capacity - 1;
    return 0;
}

/* Sets the number of ``key`` (added where new, growing the table as needed). */
static int
table_put(NodeTable *self, PyObject *key, Py_ssize_t number)
{
    if (2 * (self->count + 1) > self->mask + 1) {
        Slot *slots = self->slots;
        Py_ssize_t capacity = self->mask + 1;
        self->slots = PyMem_Calloc(2 * capacity, sizeof(Slot));
        if (self->slots == NULL) {
            self->slots = slots;
            PyErr_NoMemory();
            return -1;
        }
        self->mask = 2 * capacity - 1;
        for (Py_ssize_t i = 0; i < capacity; i++)
            if (slots[i].key != NULL)
                self->slots[slot_of(self, slots[i].key)] = slots[i];
        PyMem_Free(slots);
    }
    Slot *slot = &self->slots[slot_of(self, key)];
    if (slot->key == NULL) {
        slot->key = key;
        self->count++;
    }
    slot->number = number;
    return 0;
}

static int
NodeTable_init(NodeTable *self, PyObject *args, PyObject *kwds)
{
    PyObject *objects, *operands = Py_None;
    if (!PyArg_ParseTuple(args, "O!|O:NodeTable", &PyList_Type, &objects, &operands))
        return -1;
    if (operands != Py_None && !Py_IS_TYPE(operands, &FlatOperandsType)) {
        PyErr_SetString(PyExc_TypeError, "NodeTable: operands must be a FlatOperands or None");
        return -1;
    }
    Py_XSETREF(self->operands, operands == Py_None ? NULL : (FlatOperands *)Py_NewRef(operands));
    Py_ssize_t n = PyList_GET_SIZE(objects);
    if (table_reset(self, n) < 0)
        return -1;
    Py_INCREF(objects);
    Py_XSETREF(self->objects, objects);
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *key = PyList_GET_ITEM(objects, k);
        if (number_in(self, key) < 0 && table_put(self, key, k) < 0) /* an object listed twice keeps its first */
            return -1;
    }
    return 0;
}

/* ``table.get(node, default)``, as a dict's: what the judge's Python asks a node's number with. */
static PyObject *
NodeTable_get(NodeTable *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(node, default=None)");
        return NULL;
    }
    Py_ssize_t k = self->slots == NULL ? -1 : number_in(self, args[0]);
    if (k < 0)
        return Py_NewRef(nargs == 2 ? args[1] : Py_None);
    return PyLong_FromSsize_t(k);
}

static PyObject *
NodeTable_subscript(NodeTable *self, PyObject *key)
{
    Py_ssize_t k = self->slots == NULL ? -1 : number_in(self, key);
    if (k < 0) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return PyLong_FromSsize_t(k);
}

static Py_ssize_t
NodeTable_length(NodeTable *self)
{
    return self->count;
}

static int
NodeTable_contains(NodeTable *self, PyObject *key)
{
    return self->slots != NULL && number_in(self, key) >= 0;
}

static PyMethodDef NodeTable_methods[] = {
    {"get", (PyCFunction)(void (*)(void))NodeTable_get, METH_FASTCALL, "get(node, default=None): its number"},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods NodeTable_mapping = {
    .mp_length = (lenfunc)NodeTable_length,
    .mp_subscript = (binaryfunc)NodeTable_subscript,
};

static PySequenceMethods NodeTable_sequence = {
    .sq_contains = (objobjproc)NodeTable_contains,
};

static void
NodeTable_dealloc(NodeTable *self)
{
    PyMem_Free(self->slots);
    Py_XDECREF(self->operands);
    Py_XDECREF(self->objects);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject NodeTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "gradstep.core._speedups.NodeTable",
    .tp_basicsize = sizeof(NodeTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "NodeTable(objects): their nodes by address",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)NodeTable_init,
    .tp_dealloc = (destructor)NodeTable_dealloc,
    .tp_methods = NodeTable_methods,
    .tp_as_mapping = &NodeTable_mapping,
    .tp_as_sequence = &NodeTable_sequence,
};

/* The values of one attribute of every node of a table, kept here (not on their objects) while a
 * hook is on their class: reading or writing it on their objects would make each one's instance
 * dict, where CPython 3.11 keeps their values inline, and make every later attribute access of
 * their backward slower. ``store_back`` puts the values that changed on their objects again. */
typedef struct {
    NodeTable *table;
    PyObject *name;
    PyObject **values;  /* owned; NULL where the object has no such attribute */
    char *changed;
} Attributes;

static int
attributes_read(Attributes *a, NodeTable *table, PyObject *name)
{
    Py_ssize_t n = PyList_GET_SIZE(table->objects);
    a->table = (NodeTable *)Py_NewRef(table);
    a->name = Py_NewRef(name);
    a->values = PyMem_Calloc(n ? n : 1, sizeof(PyObject *));
    a->changed = PyMem_Calloc(n ? n : 1, 1);
    if (a->values == NULL || a->changed == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++)
        if (lookup_attr(PyList_GET_ITEM(table->objects, k), name, &a->values[k]) < 0)
            return -1;
    return 0;
}

static void
attributes_clear(Attributes *a)
{
    if (a->values != NULL && a->table != NULL)
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(a->table->objects); k++)
            Py_XDECREF(a->values[k]);
    PyMem_Free(a->values);
    PyMem_Free(a->changed);
    a->values = NULL;
    a->changed = NULL;
    Py_CLEAR(a->table);
    Py_CLEAR(a->name);
}

/* After the hook is off their class: every value that changed, set on its object again. */
static PyObject *
attributes_store_back(Attributes *a)
{
    if (a->table == NULL)
        Py_RETURN_NONE;
    PyObject *objects = a->table->objects;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(objects); k++) {
        if (!a->changed[k])
            continue;
        a->changed[k] = 0;
        PyObject *obj = PyList_GET_ITEM(objects, k);
        int failed = a->values[k] == NULL ? PyObject_DelAttr(obj, a->name)
                                          : PyObject_SetAttr(obj, a->name, a->values[k]);
        if (failed < 0)
            PyErr_Clear(); /* theirs refuses it: nothing better to do than go on */
    }
    Py_RETURN_NONE;
}

/* --- record.py: Recording.log, kept compact ------------------------------------------------------- */

/* Tape(table, START, END, ABORT): ``Recording.log`` as the compiled hooks write it. To Python it is
 * the same flat sequence of triples as the list the Python hooks write (``len``, indexing, slices,
 * iteration, ``extend`` with one triple), made item by item when asked for. Inside it, one event a
 * triple: a node by its number in the table, a grad that is a float as the double, and no object
 * held for either, so a step and a write cost no list appends, no reference to their node, and
 * nothing to free afterwards. The judge's loops below read the events themselves. */
enum { EV_WRITE = 0, EV_START = 1, EV_END = 2, EV_ABORT = 3, EV_OTHER = 4 };
#define EV_KIND 7
#define EV_FLOATS 8 /* a write whose old and new grads are the doubles */
#define EV_SHIFT 4  /* the node's number (a write, a start) or the triple's in ``others`` (other) */

typedef union {
    double d;
    PyObject *o; /* owned */
} Field;

typedef struct {
    long long tag;
    Field old, new;
} Event;

typedef struct {
    PyObject_HEAD
    NodeTable *table;
    PyObject *markers[3]; /* START, END, ABORT */
    PyObject *others;     /* the triples of anything else (an object not in the table), flat */
    Event *events;
    Py_ssize_t size, capacity;
    Py_ssize_t held; /* how many events hold objects (none: nothing to let go of, event by event) */
} Tape;

static PyTypeObject TapeType;

/* Room for one more event: 0, or -1 with MemoryError. */
static int
tape_reserve(Tape *tape)
{
    if (tape->size < tape->capacity)
        return 0;
    Py_ssize_t capacity = tape->capacity ? 2 * tape->capacity : 4096;
    Event *events = PyMem_RawRealloc(tape->events, capacity * sizeof(Event));
    if (events == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    tape->events = events;
    tape->capacity = capacity;
    return 0;
}

/* Node ``k``'s grad written: ``old`` (NULL: it had none) is taken over, ``new`` borrowed. */
static int
tape_write(Tape *tape, Py_ssize_t k, PyObject *old, PyObject *new)
{
    if (tape_reserve(tape) < 0) {
        Py_XDECREF(old);
        return -1;
    }
    Event *e = &tape->events[tape->size++];
    if (old != NULL && PyFloat_CheckExact(old) && PyFloat_CheckExact(new)) {
        e->tag = ((long long)k << EV_SHIFT) | EV_WRITE | EV_FLOATS;
        e->old.d = PyFloat_AS_DOUBLE(old);
        e->new.d = PyFloat_AS_DOUBLE(new);
        Py_DECREF(old);
    }
    else {
        e->tag = ((long long)k << EV_SHIFT) | EV_WRITE;
        e->old.o = old == NULL ? Py_NewRef(Py_None) : old;
        e->new.o = Py_NewRef(new);
        tape->held++;
    }
    return 0;
}

/* A step began (``kind`` EV_START, node ``k``), returned (EV_END) or raised (EV_ABORT). */
static int
tape_mark(Tape *tape, int kind, Py_ssize_t k)
{
    if (tape_reserve(tape) < 0)
        return -1;
    Event *e = &tape->events[tape->size++];
    e->tag = ((long long)k << EV_SHIFT) | kind;
    e->old.o = e->new.o = NULL;
    return 0;
}

/* Any other triple (borrowed), kept as objects. */
static int
tape_other(Tape *tape, PyObject *a, PyObject *b, PyObject *c)
{
    if (tape_reserve(tape) < 0)
        return -1;
    Py_ssize_t at = PyList_GET_SIZE(tape->others) / 3;
    if (PyList_Append(tape->others, a) < 0 || PyList_Append(tape->others, b) < 0 ||
        PyList_Append(tape->others, c) < 0)
        return -1;
    Event *e = &tape->events[tape->size++];
    e->tag = ((long long)at << EV_SHIFT) | EV_OTHER;
    e->old.o = e->new.o = NULL;
    return 0;
}

/* Item ``i`` of the flat sequence, borrowed, or NULL where it is a grad kept as a double (and then
 * ``*number`` is it). */
static PyObject *
tape_borrow(Tape *tape, Py_ssize_t i, double *number)
{
    Event *e = &tape->events[i / 3];
    int field = (int)(i % 3), kind = (int)(e->tag & EV_KIND);
    Py_ssize_t n = (Py_ssize_t)(e->tag >> EV_SHIFT);
    switch (kind) {
    case EV_WRITE:
        if (field == 0)
            return PyList_GET_ITEM(tape->table->objects, n);
        if (e->tag & EV_FLOATS) {
            *number = field == 1 ? e->old.d : e->new.d;
            return NULL;
        }
        return field == 1 ? e->old.o : e->new.o;
    case EV_START:
        return field == 0 ? tape->markers[0] : field == 1 ? PyList_GET_ITEM(tape->table->objects, n) : Py_None;
    case EV_END:
    case EV_ABORT:
        return field == 0 ? tape->markers[kind - EV_START] : Py_None;
    default:
        return PyList_GET_ITEM(tape->others, 3 * n + field);
    }
}

/* Item ``i`` as a new reference (no bounds check). */
static PyObject *
tape_item(Tape *tape, Py_ssize_t i)
{
    double number;
    PyObject *item = tape_borrow(tape, i, &number);
    return item == NULL ? PyFloat_FromDouble(number) : Py_NewRef(item);
}

static int
Tape_init(Tape *self, PyObject *args, PyObject *kwds)
{
    NodeTable *table;
    PyObject *start, *end, *abort;
    if (!PyArg_ParseTuple(args, "O!OOO:Tape", &NodeTableType, &table, &start, &end, &abort))
        return -1;
    if (self->table != NULL || table->objects == NULL) {
        PyErr_SetString(PyExc_TypeError, "Tape: made once, with a table of objects");
        return -1;
    }
    self->others = PyList_New(0);
    if (self->others == NULL)
        return -1;
    self->table = (NodeTable *)Py_NewRef(table);
    self->markers[0] = Py_NewRef(start);
    self->markers[1] = Py_NewRef(end);
    self->markers[2] = Py_NewRef(abort);
    return 0;
}

static void
Tape_dealloc(Tape *self)
{
    for (Py_ssize_t i = 0; i < self->size && self->held > 0; i++) {
        Event *e = &self->events[i];
        if ((e->tag & EV_KIND) == EV_WRITE && !(e->tag & EV_FLOATS)) {
            Py_DECREF(e->old.o);
            Py_DECREF(e->new.o);
            self->held--;
        }
    }
    PyMem_RawFree(self->events);
    Py_XDECREF(self->table);
    for (int i = 0; i < 3; i++)
        Py_XDECREF(self->markers[i]);
    Py_XDECREF(self->others);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t
Tape_length(Tape *self)
{
    return 3 * self->size;
}

static PyObject *
Tape_item(Tape *self, Py_ssize_t i)
{
    if (i < 0 || i >= 3 * self->size) {
        PyErr_SetString(PyExc_IndexError, "log index out of range");
        return NULL;
    }
    return tape_item(self, i);
}

static PyObject *
Tape_subscript(Tape *self, PyObject *key)
{
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0)
            return NULL;
        Py_ssize_t n = PySlice_AdjustIndices(3 * self->size, &start, &stop, step);
        PyObject *result = PyList_New(n);
        if (result == NULL)
            return NULL;
        for (Py_ssize_t j = 0, i = start; j < n; j++, i += step) {
            PyObject *item = tape_item(self, i);
            if (item == NULL) {
                Py_DECREF(result);
                return NULL;
            }
            PyList_SET_ITEM(result, j, item);
        }
        return result;
    }
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred())
        return NULL;
    return Tape_item(self, i < 0 ? i + 3 * self->size : i);
}

/* ``extend((a, b, c))``: one triple, as the Python hooks write them. */
static PyObject *
Tape_extend(Tape *self, PyObject *triple)
{
    PyObject *items = PySequence_Tuple(triple);
    if (items == NULL)
        return NULL;
    if (PyTuple_GET_SIZE(items) != 3) {
        Py_DECREF(items);
        PyErr_SetString(PyExc_ValueError, "Tape.extend: one triple at a time");
        return NULL;
    }
    PyObject *a = PyTuple_GET_ITEM(items, 0), *b = PyTuple_GET_ITEM(items, 1), *c = PyTuple_GET_ITEM(items, 2);
    int failed;
    Py_ssize_t k = -1;
    if (a == self->markers[0] && c == Py_None && (k = number_in(self->table, b)) >= 0)
        failed = tape_mark(self, EV_START, k);
    else if ((a == self->markers[1] || a == self->markers[2]) && b == Py_None && c == Py_None)
        failed = tape_mark(self, a == self->markers[1] ? EV_END : EV_ABORT, 0);
    else if (a != self->markers[0] && (k = number_in(self->table, a)) >= 0)
        failed = tape_write(self, k, Py_NewRef(b), c);
    else
        failed = tape_other(self, a, b, c);
    Py_DECREF(items);
    if (failed < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef Tape_methods[] = {
    {"extend", (PyCFunction)Tape_extend, METH_O, "extend((a, b, c)): one triple, as list.extend"},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods Tape_sequence = {
    .sq_length = (lenfunc)Tape_length,
    .sq_item = (ssizeargfunc)Tape_item,
};

static PyMappingMethods Tape_mapping = {
    .mp_length = (lenfunc)Tape_length,
    .mp_subscript = (binaryfunc)Tape_subscript,
};

static PyTypeObject TapeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "gradstep.core._speedups.Tape",
    .tp_basicsize = sizeof(Tape),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Tape(table, START, END, ABORT): the recording's log of triples, kept compact",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Tape_init,
    .tp_dealloc = (destructor)Tape_dealloc,
    .tp_methods = Tape_methods,
    .tp_as_sequence = &Tape_sequence,
    .tp_as_mapping = &Tape_mapping,
};

/* The log the hooks and the judge's loops are given: a list, or a Tape. */
typedef struct {
    PyObject **items; /* a list's */
    Tape *tape;
    Py_ssize_t size;
} LogView;

static int
log_view(PyObject *log, LogView *view, const char *what)
{
    if (PyList_Check(log)) {
        *view = (LogView){&PyList_GET_ITEM(log, 0), NULL, PyList_GET_SIZE(log)};
        return 0;
    }
    if (Py_IS_TYPE(log, &TapeType)) {
        *view = (LogView){NULL, (Tape *)log, 3 * ((Tape *)log)->size};
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s: the log must be a list or a Tape", what);
    return -1;
}

/* Item ``i`` of the log, borrowed: an object (the key of a triple, a step's node, a marker), never
 * a grad kept as a double (NULL for that). */
static PyObject *
log_object(LogView *view, Py_ssize_t i)
{
    double unused;
    return view->tape == NULL ? view->items[i] : tape_borrow(view->tape, i, &unused);
}

/* The triple at ``i`` as a write: its key (borrowed) and its old and new grads as numbers (1), or
 * 0 where either is not one (``number_of``). */
static int
log_write(LogView *view, Py_ssize_t i, PyObject **key, double *old, double *new)
{
    if (view->tape != NULL) {
        Event *e = &view->tape->events[i / 3];
        if ((e->tag & (EV_KIND | EV_FLOATS)) == (EV_WRITE | EV_FLOATS)) {
            *key = PyList_GET_ITEM(view->tape->table->objects, (Py_ssize_t)(e->tag >> EV_SHIFT));
            *old = e->old.d;
            *new = e->new.d;
            return 1;
        }
    }
    *key = log_object(view, i);
    PyObject *o = view->tape == NULL ? view->items[i + 1] : tape_borrow(view->tape, i + 1, old);
    PyObject *n = view->tape == NULL ? view->items[i + 2] : tape_borrow(view->tape, i + 2, new);
    return (o == NULL || number_of(o, old)) && (n == NULL || number_of(n, new));
}

/* --- record.py: _grad_writes ------------------------------------------------------------------ */

/* ``_grad_writes``'s ``__set__``: ``obj, old, new`` appended to the log, the grad set in the
 * instance dict. The grad hook does this for an object that is not one of the graph's nodes. */
static int
write_in_dict(PyObject *log, PyObject *obj, PyObject *value)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "__delete__");
        return -1;
    }
    PyObject *dict = PyObject_GenericGetDict(obj, NULL);
    if (dict == NULL)
        return -1;
    PyObject *old = PyDict_GetItemWithError(dict, str_grad);
    if (old == NULL && PyErr_Occurred()) {
        Py_DECREF(dict);
        return -1;
    }
    if (old == NULL)
        old = Py_None;
    Py_INCREF(old); /* the dict's reference goes with the write below */
    int failed = Py_IS_TYPE(log, &TapeType)
                     ? tape_other((Tape *)log, obj, old, value) < 0
                     : PyList_Append(log, obj) < 0 || PyList_Append(log, old) < 0 || PyList_Append(log, value) < 0;
    failed = failed || PyDict_SetItem(dict, str_grad, value) < 0;
    Py_DECREF(old);
    Py_DECREF(dict);
    return failed ? -1 : 0;
}

/* GradStore(log, table): ``_grad_writes`` for the nodes of a table, with their grads kept in the
 * table's ``Attributes`` while it is on their class (reads come here too); any other object's grad
 * stays in its instance dict (``write_in_dict``). ``store_back()`` after it is taken off. */
typedef struct {
    PyObject_HEAD
    PyObject *log;
    Attributes grads;
} GradStore;

static Py_ssize_t
grad_number(GradStore *self, PyObject *obj)
{
    return self->grads.table == NULL ? -1 : number_in(self->grads.table, obj);
}

static int
GradStore_init(GradStore *self, PyObject *args, PyObject *kwds)
{
    PyObject *log;
    NodeTable *table;
    if (!PyArg_ParseTuple(args, "OO!:GradStore", &log, &NodeTableType, &table))
        return -1;
    if (!PyList_Check(log) && !Py_IS_TYPE(log, &TapeType)) {
        PyErr_SetString(PyExc_TypeError, "GradStore: the log must be a list or a Tape");
        return -1;
    }
    Py_INCREF(log);
    Py_XSETREF(self->log, log);
    attributes_clear(&self->grads);
    return attributes_read(&self->grads, table, str_grad);
}

static void
GradStore_dealloc(GradStore *self)
{
    attributes_clear(&self->grads);
    Py_XDECREF(self->log);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
GradStore_get(GradStore *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None)
        return Py_NewRef(self);
    Py_ssize_t k = grad_number(self, obj);
    PyObject *value;
    if (k >= 0) {
        value = Py_XNewRef(self->grads.values[k]);
    }
    else {
        PyObject *dict = PyObject_GenericGetDict(obj, NULL);
        if (dict == NULL)
            return NULL;
        value = Py_XNewRef(PyDict_GetItemWithError(dict, str_grad));
        Py_DECREF(dict);
        if (value == NULL && PyErr_Occurred())
            return NULL;
    }
    if (value == NULL)
        PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute 'grad'", Py_TYPE(obj)->tp_name);
    return value;
}

static int
GradStore_set(GradStore *self, PyObject *obj, PyObject *value)
{
    Py_ssize_t k = grad_number(self, obj);
    if (k < 0)
        return write_in_dict(self->log, obj, value);
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "__delete__");
        return -1;
    }
    PyObject *old = self->grads.values[k];
    if (Py_IS_TYPE(self->log, &TapeType)) { /* the old grad's reference goes to the tape */
        self->grads.values[k] = Py_NewRef(value);
        self->grads.changed[k] = 1;
        return tape_write((Tape *)self->log, k, old, value);
    }
    if (PyList_Append(self->log, obj) < 0 || PyList_Append(self->log, old == NULL ? Py_None : old) < 0 ||
        PyList_Append(self->log, value) < 0)
        return -1;
    self->grads.values[k] = Py_NewRef(value);
    self->grads.changed[k] = 1;
    Py_XDECREF(old);
    return 0;
}

static PyObject *
GradStore_store_back(GradStore *self, PyObject *unused)
{
    return attributes_store_back(&self->grads);
}

/* ``floats()``: every node's grad as ``record._grads`` reads it (absent or None: 0.0), or None where
 * one is neither a float nor an int (for the Python to convert as it does). */
static PyObject *
GradStore_floats(GradStore *self, PyObject *unused)
{
    if (self->grads.table == NULL)
        Py_RETURN_NONE;
    Py_ssize_t n = PyList_GET_SIZE(self->grads.table->objects);
    PyObject *result = PyList_New(n), *zero = PyFloat_FromDouble(0.0);
    if (result == NULL || zero == NULL) {
        Py_XDECREF(result);
        Py_XDECREF(zero);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *value = self->grads.values[k], *x;
        double d;
        if (value == NULL || value == Py_None)
            x = Py_NewRef(zero);
        else if (PyFloat_CheckExact(value))
            x = Py_NewRef(value);
        else if (PyLong_CheckExact(value) && number_of(value, &d))
            x = d == 0.0 ? Py_NewRef(zero) : PyFloat_FromDouble(d);
        else {
            Py_DECREF(result);
            Py_DECREF(zero);
            Py_RETURN_NONE;
        }
        if (x == NULL) {
            Py_DECREF(result);
            Py_DECREF(zero);
            return NULL;
        }
        PyList_SET_ITEM(result, k, x);
    }
    Py_DECREF(zero);
    return result;
}

static PyMethodDef GradStore_methods[] = {
    {"floats", (PyCFunction)GradStore_floats, METH_NOARGS, "every node's grad as a float (see the C)"},
    {"store_back", (PyCFunction)GradStore_store_back, METH_NOARGS,
     "set the grads that changed on their objects (once the store is off their class)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject GradStoreType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "gradstep.core._speedups.GradStore",
    .tp_basicsize = sizeof(GradStore),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "GradStore(log, table): a grad descriptor that logs every write, its values kept aside",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)GradStore_init,
    .tp_dealloc = (destructor)GradStore_dealloc,
    .tp_descr_get = (descrgetfunc)GradStore_get,
    .tp_descr_set = (descrsetfunc)GradStore_set,
    .tp_methods = GradStore_methods,
};

/* --- record.py: _StepHook and _step_runner ----------------------------------------------------- */

/* Where steps began or ended in the log, kept in C (``StepHook.positions``). */
typedef struct {
    long long *at;
    Py_ssize_t size, capacity;
} Positions;

static int
positions_push(Positions *p, Py_ssize_t at)
{
    if (p->size == p->capacity) {
        Py_ssize_t capacity = p->capacity ? 2 * p->capacity : 1024;
        long long *grown = PyMem_Realloc(p->at, capacity * sizeof(long long));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        p->at = grown;
        p->capacity = capacity;
    }
    p->at[p->size++] = at;
    return 0;
}

/* The positions as an array('q'). */
static PyObject *
positions_array(Positions *p)
{
    void *items;
    PyObject *result = new_array("q", p->size, &items);
    if (result != NULL && p->size)
        memcpy(items, p->at, p->size * sizeof(long long));
    return result;
}

typedef struct {
    PyObject_HEAD
    PyObject *log, *starts, *ends;      /* lists, or None: the positions are kept in C */
    Positions began, ended;
    PyObject *start, *end, *abort;      /* the markers */
    PyObject *fallback;                 /* the class's own _backward, or None */
    Attributes steps;                   /* with a table: every node's own _backward, kept aside */
    Py_ssize_t last;                    /* the number of the node whose step was asked for last */
} StepHook;

/* One of their steps, ready to run: ``run(node, original, ...)`` of ``_step_runner``. */
typedef struct {
    PyObject_HEAD
    StepHook *hook;
    PyObject *node, *original;
    Py_ssize_t number; /* the node's, -1 where it is not in the hook's table */
} StepCall;

static PyTypeObject StepCallType;

static int
StepHook_init(StepHook *self, PyObject *args, PyObject *kwds)
{
    PyObject *log, *starts, *ends, *start, *end, *abort, *fallback, *table = Py_None;
    if (!PyArg_ParseTuple(args, "OOOOOOO|O:StepHook", &log, &starts, &ends, &start, &end, &abort, &fallback,
                          &table))
        return -1;
    if (!PyList_Check(log) && !Py_IS_TYPE(log, &TapeType)) {
        PyErr_SetString(PyExc_TypeError, "StepHook: the log must be a list or a Tape");
        return -1;
    }
    if ((starts != Py_None || ends != Py_None) && (!PyList_Check(starts) || !PyList_Check(ends))) {
        PyErr_SetString(PyExc_TypeError, "StepHook: starts and ends are lists, or both None");
        return -1;
    }
    attributes_clear(&self->steps);
    if (table != Py_None) {
        if (!PyObject_TypeCheck(table, &NodeTableType)) {
            PyErr_SetString(PyExc_TypeError, "StepHook: table must be a NodeTable");
            return -1;
        }
        if (attributes_read(&self->steps, (NodeTable *)table, str_backward) < 0)
            return -1;
    }
    PyObject **slots[] = {&self->log, &self->starts, &self->ends, &self->start,
                          &self->end, &self->abort, &self->fallback};
    PyObject *values[] = {log, starts, ends, start, end, abort, fallback};
    for (int i = 0; i < 7; i++) {
        Py_INCREF(values[i]);
        Py_XSETREF(*slots[i], values[i]);
    }
    return 0;
}

static void
StepHook_dealloc(StepHook *self)
{
    attributes_clear(&self->steps);
    PyMem_Free(self->began.at);
    PyMem_Free(self->ended.at);
    Py_XDECREF(self->log);
    Py_XDECREF(self->starts);
    Py_XDECREF(self->ends);
    Py_XDECREF(self->start);
    Py_XDECREF(self->end);
    Py_XDECREF(self->abort);
    Py_XDECREF(self->fallback);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
StepHook_get(StepHook *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None) {
        Py_INCREF(self);
        return (PyObject *)self;
    }
    NodeTable *table = self->steps.table;
    Py_ssize_t k = -1;
    if (table != NULL) {
        /* a backward in the walk's order from the output (micrograd's is) asks for the node
         * numbered one less than the last: found without a search of the table */
        Py_ssize_t guess = self->last - 1;
        k = guess >= 0 && guess < PyList_GET_SIZE(table->objects) && PyList_GET_ITEM(table->objects, guess) == obj
                ? guess
                : number_in(table, obj);
        self->last = k;
    }
    PyObject *original;
    if (k >= 0) {
        original = Py_XNewRef(self->steps.values[k]);
    }
    else {
        PyObject *dict = PyObject_GenericGetDict(obj, NULL);
        if (dict == NULL)
            return NULL;
        original = Py_XNewRef(PyDict_GetItemWithError(dict, str_backward));
        Py_DECREF(dict);
    }
    if (original == NULL) {
        if (PyErr_Occurred())
            return NULL;
        if (self->fallback == Py_None) {
            PyErr_SetString(PyExc_AttributeError, "_backward");
            return NULL;
        }
        descrgetfunc get = Py_TYPE(self->fallback)->tp_descr_get;
        if (get != NULL) {
            original = get(self->fallback, obj, type == NULL ? (PyObject *)Py_TYPE(obj) : type);
            if (original == NULL)
                return NULL;
        }
        else {
            original = Py_NewRef(self->fallback);
        }
    }
    StepCall *call = PyObject_New(StepCall, &StepCallType);
    if (call == NULL) {
        Py_DECREF(original);
        return NULL;
    }
    call->hook = (StepHook *)Py_NewRef(self);
    call->node = Py_NewRef(obj);
    call->original = original;
    call->number = k;
    return (PyObject *)call;
}

static int
StepHook_set(StepHook *self, PyObject *obj, PyObject *value)
{
    Py_ssize_t k = self->steps.table == NULL ? -1 : number_in(self->steps.table, obj);
    if (k >= 0) {
        PyObject *old = self->steps.values[k];
        self->steps.values[k] = Py_XNewRef(value);
        self->steps.changed[k] = 1;
        Py_XDECREF(old);
        return 0;
    }
    PyObject *dict = PyObject_GenericGetDict(obj, NULL);
    if (dict == NULL)
        return -1;
    int result = value == NULL ? PyDict_DelItem(dict, str_backward)
                               : PyDict_SetItem(dict, str_backward, value);
    Py_DECREF(dict);
    return result;
}

static PyObject *
StepHook_store_back(StepHook *self, PyObject *unused)
{
    return attributes_store_back(&self->steps);
}

/* ``positions()`` -> (starts, ends): where each step began and ended in the log, array('q') each,
 * for a hook made with ``starts`` and ``ends`` None. */
static PyObject *
StepHook_positions(StepHook *self, PyObject *unused)
{
    PyObject *starts = positions_array(&self->began);
    PyObject *ends = starts == NULL ? NULL : positions_array(&self->ended);
    if (ends == NULL) {
        Py_XDECREF(starts);
        return NULL;
    }
    return Py_BuildValue("(NN)", starts, ends);
}

static PyMethodDef StepHook_methods[] = {
    {"positions", (PyCFunction)StepHook_positions, METH_NOARGS, "where the steps began and ended"},
    {"store_back", (PyCFunction)StepHook_store_back, METH_NOARGS,
     "set the _backward of nodes whose own changed on their objects (once the hook is off their class)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StepHookType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "gradstep.core._speedups.StepHook",
    .tp_basicsize = sizeof(StepHook),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "StepHook(log, starts, ends, START, END, ABORT, fallback): records each step",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)StepHook_init,
    .tp_dealloc = (destructor)StepHook_dealloc,
    .tp_descr_get = (descrgetfunc)StepHook_get,
    .tp_descr_set = (descrsetfunc)StepHook_set,
    .tp_methods = StepHook_methods,
};

static void
StepCall_dealloc(StepCall *self)
{
    Py_XDECREF(self->hook);
    Py_XDECREF(self->node);
    Py_XDECREF(self->original);
    PyObject_Free(self);
}

/* Appends ``len(log)`` to ``places`` and then the triple ``a, b, None`` to the log (``kind`` and
 * ``number``: the same, for a Tape: ``b``'s number in its table, -1 where it has none). */
static int
note(StepHook *hook, PyObject *places, Positions *kept, PyObject *a, PyObject *b, int kind, Py_ssize_t number)
{
    int on_tape = Py_IS_TYPE(hook->log, &TapeType);
    Py_ssize_t size = on_tape ? 3 * ((Tape *)hook->log)->size : PyList_GET_SIZE(hook->log);
    if (places == Py_None) {
        if (positions_push(kept, size) < 0)
            return -1;
    }
    else {
        PyObject *at = PyLong_FromSsize_t(size);
        if (at == NULL)
            return -1;
        int failed = PyList_Append(places, at) < 0;
        Py_DECREF(at);
        if (failed)
            return -1;
    }
    if (on_tape) {
        Tape *tape = (Tape *)hook->log;
        if (kind == EV_START && (number < 0 || tape->table != hook->steps.table))
            return tape_other(tape, a, b, Py_None);
        return tape_mark(tape, kind, number < 0 ? 0 : number);
    }
    if (PyList_Append(hook->log, a) < 0 || PyList_Append(hook->log, b) < 0 ||
        PyList_Append(hook->log, Py_None) < 0)
        return -1;
    return 0;
}

static PyObject *
StepCall_call(StepCall *self, PyObject *args, PyObject *kwargs)
{
    StepHook *hook = self->hook;
    if (note(hook, hook->starts, &hook->began, hook->start, self->node, EV_START, self->number) < 0)
        return NULL;
    if (hook->steps.table != NULL && self->number >= 0)
        table_step(hook->steps.table, self->number);
    PyObject *result = PyObject_Call(self->original, args, kwargs);
    if (result == NULL) {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        int failed = note(hook, hook->ends, &hook->ended, hook->abort, Py_None, EV_ABORT, 0);
        if (failed) { /* the log could not grow: that error wins, as in Python */
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(traceback);
        }
        else {
            PyErr_Restore(type, value, traceback);
        }
        return NULL;
    }
    if (note(hook, hook->ends, &hook->ended, hook->end, Py_None, EV_END, 0) < 0) {
        Py_DECREF(result);
        return NULL;
    }
    return result;
}

static PyTypeObject StepCallType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "gradstep.core._speedups.StepCall",
    .tp_basicsize = sizeof(StepCall),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One of their steps, recorded when called",
    .tp_dealloc = (destructor)StepCall_dealloc,
    .tp_call = (ternaryfunc)StepCall_call,
};

/* --- foreign.py: ForeignGraph.operands, kept flat ----------------------------------------------- */

/* FlatOperands(): ``ForeignGraph.operands`` as the compiled walk makes it. To Python, a sequence of
 * tuples of operand numbers (``len``, indexing, iteration) whose items can be set, made when asked
 * for; inside, each node's count and first two operands in arrays, and a tuple kept only for a node
 * of more than two. The walk makes no tuple and no int per node, the judge's loops read the arrays
 * (``flat()``), and there is nothing to free node by node. */

/* Room for node ``k``: 0, or -1 with MemoryError. New nodes have no operands. */
static int
flat_reserve(FlatOperands *self, Py_ssize_t k)
{
    if (k < self->capacity)
        return 0;
    Py_ssize_t capacity = self->capacity ? self->capacity : 1024;
    while (capacity <= k)
        capacity *= 2;
    char *arity = PyMem_Realloc(self->arity, capacity);
    if (arity != NULL)
        self->arity = arity;
    long long *first = arity == NULL ? NULL : PyMem_Realloc(self->first, capacity * sizeof(long long));
    if (first != NULL)
        self->first = first;
    long long *second = first == NULL ? NULL : PyMem_Realloc(self->second, capacity * sizeof(long long));
    if (second != NULL)
        self->second = second;
    PyObject **wide = self->wide;
    if (second != NULL && wide != NULL) {
        wide = PyMem_Realloc(self->wide, capacity * sizeof(PyObject *));
        if (wide != NULL) {
            memset(wide + self->capacity, 0, (capacity - self->capacity) * sizeof(PyObject *));
            self->wide = wide;
        }
    }
    if (second == NULL || (self->wide != NULL && wide == NULL)) {
        PyErr_NoMemory();
        return -1;
    }
    memset(self->arity + self->capacity, 0, capacity - self->capacity);
    self->capacity = capacity;
    return 0;
}

/* Node ``k`` has the operands in ``tuple`` (a tuple of ints), or ``count`` operands ``a`` and ``b``
 * where ``tuple`` is NULL. */
static int
flat_set(FlatOperands *self, Py_ssize_t k, Py_ssize_t count, Py_ssize_t a, Py_ssize_t b, PyObject *tuple)
{
    if (flat_reserve(self, k) < 0)
        return -1;
    if (self->wide != NULL)
        Py_CLEAR(self->wide[k]);
    if (tuple != NULL) {
        count = PyTuple_GET_SIZE(tuple);
        if (count <= 2) {
            a = count > 0 ? PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, 0)) : -1;
            b = count > 1 ? PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, 1)) : -1;
            if (PyErr_Occurred())
                return -1;
            if ((count > 0 && a < 0) || (count > 1 && b < 0)) {
                PyErr_SetString(PyExc_ValueError, "operands: an operand number is negative");
                return -1;
            }
            tuple = NULL;
        }
    }
    if (tuple != NULL) {
        if (self->wide == NULL && (self->wide = PyMem_Calloc(self->capacity, sizeof(PyObject *))) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->wide[k] = Py_NewRef(tuple);
        self->arity[k] = 3;
        self->first[k] = PyLong_AsLongLong(PyTuple_GET_ITEM(tuple, 0));
        self->second[k] = PyLong_AsLongLong(PyTuple_GET_ITEM(tuple, 1));
        if (PyErr_Occurred())
            return -1;
    }
    else {
        self->arity[k] = (char)count;
        self->first[k] = count > 0 ? a : -1;
        self->second[k] = count > 1 ? b : -1;
    }
    if (k >= self->n)
        self->n = k + 1;
    return 0;
}

static void
FlatOperands_dealloc(FlatOperands *self)
{
    if (self->wide != NULL)
        for (Py_ssize_t k = 0; k < self->capacity; k++)
            Py_XDECREF(self->wide[k]);
    PyMem_Free(self->wide);
    PyMem_Free(self->arity);
    PyMem_Free(self->first);
    PyMem_Free(self->second);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t
FlatOperands_length(FlatOperands *self)
{
    return self->n;
}

static PyObject *
FlatOperands_item(FlatOperands *self, Py_ssize_t k)
{
    if (k < 0 || k >= self->n) {
        PyErr_SetString(PyExc_IndexError, "operands index out of range");
        return NULL;
    }
    switch (self->arity[k]) {
    case 0:
        return PyTuple_New(0);
    case 1:
        return Py_BuildValue("(L)", self->first[k]);
    case 2:
        return Py_BuildValue("(LL)", self->first[k], self->second[k]);
    default:
        return Py_NewRef(self->wide[k]);
    }
}

static int
FlatOperands_ass_item(FlatOperands *self, Py_ssize_t k, PyObject *value)
{
    if (k < 0 || k >= self->n) {
        PyErr_SetString(PyExc_IndexError, "operands assignment index out of range");
        return -1;
    }
    if (value == NULL || !PyTuple_CheckExact(value)) {
        PyErr_SetString(PyExc_TypeError, "operands: each item is a tuple of operand numbers");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(value); i++)
        if (!PyLong_Check(PyTuple_GET_ITEM(value, i))) {
            PyErr_SetString(PyExc_TypeError, "operands: each item is a tuple of operand numbers");
            return -1;
        }
    return flat_set(self, k, 0, -1, -1, value);
}

/* ``flat()`` -> (arity, first, second): bytes (3: more than two operands), array('q') each (-1:
 * none), for the judge's loops (``_Judge._flat``). */
static PyObject *
FlatOperands_flat(FlatOperands *self, PyObject *unused)
{
    void *first_items, *second_items;
    PyObject *arity = PyBytes_FromStringAndSize(self->n ? self->arity : "", self->n);
    PyObject *first = arity == NULL ? NULL : new_array("q", self->n, &first_items);
    PyObject *second = first == NULL ? NULL : new_array("q", self->n, &second_items);
    if (second == NULL) {
        Py_XDECREF(arity);
        Py_XDECREF(first);
        return NULL;
    }
    if (self->n) {
        memcpy(first_items, self->first, self->n * sizeof(long long));
        memcpy(second_items, self->second, self->n * sizeof(long long));
    }
    return Py_BuildValue("(NNN)", arity, first, second);
}

static PyMethodDef FlatOperands_methods[] = {
    {"flat", (PyCFunction)FlatOperands_flat, METH_NOARGS, "(arity, first, second) as bytes and arrays"},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods FlatOperands_sequence = {
    .sq_length = (lenfunc)FlatOperands_length,
    .sq_item = (ssizeargfunc)FlatOperands_item,
    .sq_ass_item = (ssizeobjargproc)FlatOperands_ass_item,
};

/* An empty FlatOperands. */
static PyObject *
new_flat_operands(void)
{
    return PyType_GenericNew(&FlatOperandsType, NULL, NULL);
}

static PyTypeObject FlatOperandsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "gradstep.core._speedups.FlatOperands",
    .tp_basicsize = sizeof(FlatOperands),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_SEQUENCE,
    .tp_doc = "ForeignGraph.operands as the compiled walk makes it: tuples made when asked for",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)FlatOperands_dealloc,
    .tp_methods = FlatOperands_methods,
    .tp_as_sequence = &FlatOperands_sequence,
};

/* --- foreign.py: _walk_by_node ------------------------------------------------------------------ */

typedef struct {
    PyObject *obj;      /* borrowed: kept alive by the caller's roots or by its user's operands */
    PyObject *given;    /* owned: its operands as theirs gives them; NULL: not yet expanded */
    Py_ssize_t count;   /* how many operands it has on the operand stack */
    int in_order;
} Entry;

typedef struct {
    Entry *items;
    Py_ssize_t size, capacity;
} Stack;

/* The operands of the nodes being numbered, each node's on top of its users' (borrowed: each
 * entry's ``given`` keeps them alive). */
typedef struct {
    PyObject **items;
    Py_ssize_t size, capacity;
} Operands;

static int
push(Stack *stack, PyObject *obj, PyObject *given, Py_ssize_t count, int in_order)
{
    if (stack->size == stack->capacity) {
        Py_ssize_t capacity = stack->capacity ? 2 * stack->capacity : 256;
        Entry *items = PyMem_Realloc(stack->items, capacity * sizeof(Entry));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        stack->items = items;
        stack->capacity = capacity;
    }
    stack->items[stack->size++] = (Entry){obj, given, count, in_order};
    return 0;
}

static int
push_operand(Operands *operands, PyObject *obj)
{
    if (operands->size == operands->capacity) {
        Py_ssize_t capacity = operands->capacity ? 2 * operands->capacity : 256;
        PyObject **items = PyMem_Realloc(operands->items, capacity * sizeof(PyObject *));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        operands->items = items;
        operands->capacity = capacity;
    }
    operands->items[operands->size++] = obj;
    return 0;
}

static void
clear(Stack *stack)
{
    for (Py_ssize_t i = 0; i < stack->size; i++)
        Py_XDECREF(stack->items[i].given);
    stack->size = 0;
}

/* Whether ``given`` is read in place: a tuple, or a set's own table (a set's order is the order
 * iterating it gives). Anything else, a list theirs could change while the walk goes on included,
 * is read as a tuple made now. */
static int
in_place(PyObject *given)
{
#if PY_VERSION_HEX < 0x030D0000
    if (PyAnySet_CheckExact(given))
        return 1;
#endif
    return PyTuple_CheckExact(given);
}

/* Pushes the operands in ``given`` (a tuple, or a set where ``in_place``); their count in ``count``. */
static int
push_operands(Operands *operands, PyObject *given, Py_ssize_t *count)
{
    Py_ssize_t before = operands->size;
    if (PyTuple_CheckExact(given)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(given); i++)
            if (push_operand(operands, PyTuple_GET_ITEM(given, i)) < 0)
                return -1;
    }
#if PY_VERSION_HEX < 0x030D0000
    else {
        Py_ssize_t pos = 0;
        PyObject *key;
        Py_hash_t hash;
        while (_PySet_NextEntry(given, &pos, &key, &hash))
            if (push_operand(operands, key) < 0)
                return -1;
    }
#endif
    *count = operands->size - before;
    return 0;
}

/* What ``_read_nodes`` reads of a node: its data as a float and its op name (attribute ``op_name``,
 * "" where None). */
static int
read_node(PyObject *obj, PyObject *op_name, PyObject *data, PyObject *names)
{
    PyObject *value = PyObject_GetAttr(obj, str_data);
    if (value == NULL)
        return -1;
    if (!PyFloat_CheckExact(value))
        Py_SETREF(value, PyNumber_Float(value));
    if (value == NULL)
        return -1;
    int failed = PyList_Append(data, value) < 0;
    Py_DECREF(value);
    if (failed)
        return -1;
    PyObject *name = op_name == Py_None ? Py_NewRef(str_empty) : PyObject_GetAttr(obj, op_name);
    if (name == NULL)
        return -1;
    failed = PyList_Append(names, name) < 0;
    Py_DECREF(name);
    if (failed)
        return -1;
    return 0; /* labels are read when asked for (``foreign._Labels``) */
}

/* What ``arrange`` makes, node by node (``arrange_walked``): by ``arrange``, or by ``walk`` as it
 * numbers each node. */
typedef struct {
    PyObject *parse, *op_add, *op_mul;      /* borrowed; ``parse`` NULL: only ``known``'s names */
    PyObject *known;                        /* op name -> (op, param, arity, code), or None */
    PyObject *ops, *params, *raw, *left, *zero; /* ``raw`` NULL: the caller has the numbers */
    FlatOperands *operands;
    char *codes;
    Py_ssize_t codes_capacity;
} Arranged;

static void
arranged_clear(Arranged *arr)
{
    Py_CLEAR(arr->known);
    Py_CLEAR(arr->ops);
    Py_CLEAR(arr->params);
    Py_CLEAR(arr->raw);
    Py_CLEAR(arr->left);
    Py_CLEAR(arr->zero);
    Py_CLEAR(arr->operands);
    PyMem_Free(arr->codes);
    arr->codes = NULL;
}

/* Empty lists for ``arr`` (its ``known`` a new dict where NULL, a ``raw`` dict where ``with_raw``). */
static int
arranged_start(Arranged *arr, int with_raw)
{
    arr->known = arr->known != NULL ? Py_NewRef(arr->known) : PyDict_New();
    arr->ops = PyList_New(0);
    arr->params = PyList_New(0);
    arr->raw = with_raw ? PyDict_New() : NULL;
    arr->left = PyList_New(0);
    arr->zero = PyFloat_FromDouble(0.0);
    arr->operands = (FlatOperands *)new_flat_operands();
    if (arr->known == NULL || arr->ops == NULL || arr->params == NULL || (with_raw && arr->raw == NULL) ||
        arr->left == NULL || arr->zero == NULL || arr->operands == NULL) {
        arranged_clear(arr);
        return -1;
    }
    return 0;
}

/* ``(ops, params, operands, codes, left)`` for ``n`` nodes; ``arr`` cleared. */
static PyObject *
arranged_result(Arranged *arr, Py_ssize_t n)
{
    arr->operands->n = n;
    PyObject *codes = PyByteArray_FromStringAndSize(n ? arr->codes : "", n);
    PyObject *result = codes == NULL ? NULL
                                     : Py_BuildValue("(OOONO)", arr->ops, arr->params, arr->operands, codes,
                                                     arr->left);
    arranged_clear(arr);
    return result;
}

/* Node ``k``, named ``name``, with ``count`` operands numbered ``numbers`` (in the order theirs
 * gives them; ``in_order``: not from a set), arranged as ``foreign.read`` arranges it, the easy way:
 * a + or a * of two operands, or an op of one, whose name is known, its two operands put in order
 * where they came in a set. Anything else with operands goes to ``left``, for the Python (with its
 * numbers as a tuple in ``raw``, where there is one); ``numbers`` is read only up to two then. */
static int
arrange_walked(Arranged *arr, Py_ssize_t k, PyObject *name, Py_ssize_t count, const Py_ssize_t *numbers,
               int in_order)
{
    PyObject *op = Py_None, *param = arr->zero;
    long code = 0;
    int easy = 0;
    if (k >= arr->codes_capacity) {
        Py_ssize_t capacity = arr->codes_capacity ? 2 * arr->codes_capacity : 1024;
        char *codes = PyMem_Realloc(arr->codes, capacity);
        if (codes == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        arr->codes = codes;
        arr->codes_capacity = capacity;
    }
    if (flat_reserve(arr->operands, k) < 0)
        return -1;
    if (count > 0 && count <= 2) {
        PyObject *entry = NULL;
        if (PyUnicode_CheckExact(name)) {
            entry = PyDict_GetItemWithError(arr->known, name);
            if (entry == NULL && PyErr_Occurred())
                return -1;
            if (entry == NULL && arr->parse != NULL) {
                entry = PyObject_CallOneArg(arr->parse, name);
                if (entry == NULL)
                    return -1;
                int failed = PyDict_SetItem(arr->known, name, entry);
                Py_DECREF(entry); /* the dict keeps it */
                if (failed < 0)
                    return -1;
            }
        }
        if (entry != NULL && PyTuple_CheckExact(entry) && PyTuple_GET_SIZE(entry) == 4) {
            PyObject *known_op = PyTuple_GET_ITEM(entry, 0);
            long arity = PyLong_AsLong(PyTuple_GET_ITEM(entry, 2));
            Py_ssize_t a = numbers[0], b = count > 1 ? numbers[1] : -1;
            if ((known_op == arr->op_add || known_op == arr->op_mul) && count == 2) {
                if (in_order || a < b)
                    flat_set(arr->operands, k, 2, a, b, NULL);
                else
                    flat_set(arr->operands, k, 2, b, a, NULL);
                easy = 1;
            }
            else if (arity == 1 && count == 1) {
                flat_set(arr->operands, k, 1, a, -1, NULL);
                easy = 1;
            }
            if (easy) {
                op = known_op;
                param = PyTuple_GET_ITEM(entry, 1);
                code = PyLong_AsLong(PyTuple_GET_ITEM(entry, 3));
            }
            if (PyErr_Occurred())
                return -1;
        }
    }
    if (!easy) {
        if (flat_set(arr->operands, k, 0, -1, -1, NULL) < 0)
            return -1;
        if (count > 0) {
            PyObject *x = PyLong_FromSsize_t(k), *tuple = arr->raw == NULL ? NULL : PyTuple_New(count);
            int failed = x == NULL || (arr->raw != NULL && tuple == NULL);
            for (Py_ssize_t i = 0; !failed && tuple != NULL && i < count; i++) {
                PyObject *j = PyLong_FromSsize_t(numbers[i]);
                failed = j == NULL;
                if (j != NULL)
                    PyTuple_SET_ITEM(tuple, i, j);
            }
            failed = failed || PyList_Append(arr->left, x) < 0 ||
                     (tuple != NULL && PyDict_SetItem(arr->raw, x, tuple) < 0);
            Py_XDECREF(x);
            Py_XDECREF(tuple);
            if (failed)
                return -1;
        }
    }
    arr->codes[k] = (char)code;
    if (PyList_Append(arr->ops, op) < 0 || PyList_Append(arr->params, param) < 0)
        return -1;
    return 0;
}

/* walk(starts, cls, children_name, op_name, parse, ADD, MUL) -> (objects, raw, ordered, table, data,
 * names, ops, params, operands, codes, left) or None: the numbering of ``_walk_by_node``, where
 * every node is of class ``cls`` and hashes by identity, with each node's data and op name, and
 * what ``arrange`` makes (``arrange_walked``): ``operands`` a FlatOperands, ``raw`` a dict of the
 * operand numbers of the nodes in ``left``; ``table`` a NodeTable (node -> number). None where
 * another class or a cycle turns up. */
static PyObject *
walk(PyObject *module, PyObject *args)
{
    PyObject *starts, *cls, *children_name, *op_name;
    Arranged arr = {NULL};
    if (!PyArg_ParseTuple(args, "O!OUOOOO:walk", &PyList_Type, &starts, &cls, &children_name, &op_name,
                          &arr.parse, &arr.op_add, &arr.op_mul))
        return NULL;
    if (arranged_start(&arr, 1) < 0)
        return NULL;
    PyObject *objects = PyList_New(0), *ordered = PyList_New(0);
    PyObject *data = PyList_New(0), *names = PyList_New(0);
    NodeTable *table = PyObject_New(NodeTable, &NodeTableType);
    Stack stack = {NULL, 0, 0};
    Operands operands = {NULL, 0, 0};
    Py_ssize_t *numbers = NULL, numbers_capacity = 0; /* one node's operands' numbers */
    int bail = 0;
    if (table != NULL) {
        table->objects = NULL;
        table->slots = NULL;
        table->operands = NULL;
        memset(table->current, 0, sizeof(table->current));
    }
    if (objects == NULL || ordered == NULL || table == NULL || data == NULL || names == NULL ||
        table_reset(table, 1024) < 0)
        goto error;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(starts) && !bail; r++) {
        PyObject *start = PyList_GET_ITEM(starts, r);
        if ((PyObject *)Py_TYPE(start) != cls) {
            bail = 1;
            break;
        }
        if (table->slots[slot_of(table, start)].key != NULL)
            continue;
        if (push(&stack, start, NULL, 0, 0) < 0)
            goto error;
        while (stack.size && !bail) {
            Entry entry = stack.items[--stack.size];
            PyObject *obj = entry.obj;
            if (entry.given != NULL) { /* its operands are numbered: number it */
                Py_ssize_t n = entry.count;
                PyObject **items = operands.items + operands.size - n;
                if (n > numbers_capacity) {
                    Py_ssize_t capacity = n < 16 ? 16 : 2 * n;
                    Py_ssize_t *grown = PyMem_Realloc(numbers, capacity * sizeof(Py_ssize_t));
                    if (grown == NULL) {
                        Py_DECREF(entry.given);
                        PyErr_NoMemory();
                        goto error;
                    }
                    numbers = grown;
                    numbers_capacity = capacity;
                }
                for (Py_ssize_t i = 0; i < n; i++)
                    numbers[i] = number_in(table, items[i]);
                operands.size -= n;
                Py_ssize_t k = PyList_GET_SIZE(objects);
                int failed = table_put(table, obj, k) < 0 ||
                             PyList_Append(objects, obj) < 0 ||
                             PyList_Append(ordered, entry.in_order ? Py_True : Py_False) < 0 ||
                             read_node(obj, op_name, data, names) < 0 ||
                             arrange_walked(&arr, k, PyList_GET_ITEM(names, k), n, numbers, entry.in_order) < 0;
                Py_DECREF(entry.given); /* the operands are in ``objects`` now, which keeps them alive */
                if (failed)
                    goto error;
                continue;
            }
            if (table->slots[slot_of(table, obj)].key != NULL)
                continue;
            PyObject *given = PyObject_GetAttr(obj, children_name);
            if (given == NULL)
                goto error;
            int in_order = !PyAnySet_Check(given);
            if (given == Py_None)
                Py_SETREF(given, PyTuple_New(0));
            else if (!in_place(given))
                Py_SETREF(given, PySequence_Tuple(given));
            Py_ssize_t count;
            if (given == NULL || push_operands(&operands, given, &count) < 0) {
                Py_XDECREF(given);
                goto error;
            }
            if (table_put(table, obj, -1) < 0 || push(&stack, obj, given, count, in_order) < 0) {
                Py_DECREF(given);
                goto error;
            }
            for (Py_ssize_t i = count - 1; i >= 0; i--) {
                PyObject *child = operands.items[operands.size - count + i];
                if ((PyObject *)Py_TYPE(child) != cls) {
                    bail = 1;
                    break;
                }
                Slot *at = &table->slots[slot_of(table, child)];
                if (at->key == NULL) {
                    if (push(&stack, child, NULL, 0, 0) < 0)
                        goto error;
                }
                else if (at->number < 0) {
                    bail = 1; /* a cycle */
                    break;
                }
            }
        }
    }
    clear(&stack);
    PyMem_Free(stack.items);
    PyMem_Free(operands.items);
    PyMem_Free(numbers);
    if (bail) {
        Py_DECREF(objects);
        Py_DECREF(ordered);
        Py_DECREF(table);
        Py_DECREF(data);
        Py_DECREF(names);
        arranged_clear(&arr);
        Py_RETURN_NONE;
    }
    table->objects = Py_NewRef(objects);
    table->operands = (FlatOperands *)Py_NewRef(arr.operands);
    PyObject *raw = Py_NewRef(arr.raw);
    PyObject *arranged = arranged_result(&arr, PyList_GET_SIZE(objects));
    if (arranged == NULL) {
        Py_DECREF(raw);
        Py_DECREF(objects);
        Py_DECREF(ordered);
        Py_DECREF(table);
        Py_DECREF(data);
        Py_DECREF(names);
        return NULL;
    }
    return Py_BuildValue("(NNNNNNN)", objects, raw, ordered, table, data, names, arranged);
error:
    clear(&stack);
    PyMem_Free(stack.items);
    PyMem_Free(operands.items);
    PyMem_Free(numbers);
    Py_XDECREF(objects);
    Py_XDECREF(ordered);
    Py_XDECREF(table);
    Py_XDECREF(data);
    Py_XDECREF(names);
    arranged_clear(&arr);
    return NULL;
}

/* all_exactly(items, type) -> bool: every item of the list is of exactly that type (``foreign.read``
 * uses the lists of names and labels as they are where they hold only str). */
static PyObject *
all_exactly(PyObject *module, PyObject *args)
{
    PyObject *items, *type;
    if (!PyArg_ParseTuple(args, "O!O!:all_exactly", &PyList_Type, &items, &PyType_Type, &type))
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++)
        if ((PyObject *)Py_TYPE(PyList_GET_ITEM(items, i)) != type)
            Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

/* where_is(items, value) -> bytearray: 1 where the item is ``value`` (``foreign.read``'s orderless:
 * where ``ordered`` holds False). */
static PyObject *
where_is(PyObject *module, PyObject *args)
{
    PyObject *items, *value;
    if (!PyArg_ParseTuple(args, "O!O:where_is", &PyList_Type, &items, &value))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(items);
    PyObject *result = PyByteArray_FromStringAndSize(NULL, n);
    if (result == NULL)
        return NULL;
    char *out = PyByteArray_AS_STRING(result);
    for (Py_ssize_t i = 0; i < n; i++)
        out[i] = PyList_GET_ITEM(items, i) == value;
    return result;
}

/* --- checker.py: the judge's loops over every node and every step ------------------------------ */

/* Op codes, as ``checker._codes`` numbers them: which ops these loops know the local derivatives
 * of. OTHER takes them from ``locals[k]``, worked out in Python. */
enum { LEAF = 0, ADD = 1, MUL = 2, RELU = 3, OTHER = 4 };


#define FLOAT_AT(list, i) PyFloat_AS_DOUBLE(PyList_GET_ITEM((list), (i)))
#define INT_AT(list, i) PyLong_AsSsize_t(PyList_GET_ITEM((list), (i)))

/* Checks that every item of ``list`` is an exact float (the lists these loops read as doubles). */
static int
all_floats(PyObject *list, const char *what)
{
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++)
        if (!PyFloat_CheckExact(PyList_GET_ITEM(list, i))) {
            PyErr_Format(PyExc_TypeError, "%s holds something other than floats", what);
            return -1;
        }
    return 0;
}

/* A typed, contiguous, writable view of an ``array.array`` (or a bytearray): the judge's running
 * state is kept in arrays, which its Python indexes as lists and these loops read as C arrays. */
static void *
view_of(PyObject *obj, Py_buffer *view, const char *format, Py_ssize_t length, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_ND) < 0)
        return NULL;
    const char *have = view->format == NULL ? "B" : view->format;
    if (strcmp(have, format) != 0 || (length >= 0 && view->shape[0] != length)) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "%s: an array('%s') of %zd items is wanted", what, format, length);
        return NULL;
    }
    return view->buf;
}

/* The graph's operands as ``_Judge._flat`` gives them, ``(arity, first, second, values)``: each
 * node's operand count (bytes; 3 for more than two), first and second operand (array('q'), -1:
 * none) and value (array('d')), with ``operands`` (the FlatOperands they came from) for the
 * tuples of the nodes of more than two. Read as C arrays, not tuple by tuple: each tuple is an
 * object somewhere in memory. */
typedef struct {
    Py_ssize_t n;
    const char *arity;
    long long *first, *second;
    double *values;
    FlatOperands *operands;
    Py_buffer views[3];
    int got;
} Flat;

static void
flat_close(Flat *f)
{
    for (int i = 0; i < f->got; i++)
        PyBuffer_Release(&f->views[i]);
    f->got = 0;
}

static int
flat_open(Flat *f, PyObject *flat, PyObject *operands, const char *what)
{
    f->got = 0;
    if (!PyTuple_CheckExact(flat) || PyTuple_GET_SIZE(flat) != 4 || !PyBytes_CheckExact(PyTuple_GET_ITEM(flat, 0)) ||
        !Py_IS_TYPE(operands, &FlatOperandsType)) {
        PyErr_Format(PyExc_TypeError, "%s: (arity, first, second, values) and the FlatOperands", what);
        return -1;
    }
    PyObject *arity = PyTuple_GET_ITEM(flat, 0);
    f->n = PyBytes_GET_SIZE(arity);
    f->arity = PyBytes_AS_STRING(arity);
    f->operands = (FlatOperands *)operands;
    if (f->operands->n != f->n) {
        PyErr_Format(PyExc_ValueError, "%s: lists of different lengths", what);
        return -1;
    }
    const char *formats[3] = {"q", "q", "d"};
    void *items[3];
    for (; f->got < 3; f->got++) {
        items[f->got] = view_of(PyTuple_GET_ITEM(flat, f->got + 1), &f->views[f->got], formats[f->got], f->n, what);
        if (items[f->got] == NULL) {
            flat_close(f);
            return -1;
        }
    }
    f->first = items[0];
    f->second = items[1];
    f->values = items[2];
    return 0;
}

/* How many operands node ``k`` has. */
static inline Py_ssize_t
flat_count(const Flat *f, Py_ssize_t k)
{
    return f->arity[k] <= 2 ? f->arity[k] : PyTuple_GET_SIZE(f->operands->wide[k]);
}

/* Operand ``i`` of node ``k`` (``i < flat_count``). */
static inline Py_ssize_t
flat_operand(const Flat *f, Py_ssize_t k, Py_ssize_t i)
{
    if (f->arity[k] <= 2)
        return i == 0 ? f->first[k] : f->second[k];
    return PyLong_AsSsize_t(PyTuple_GET_ITEM(f->operands->wide[k], i));
}

/* ``Op.local`` of node ``k`` (operands ``a`` and ``b``, -1 where none): the local derivatives of
 * its operands in ``d``. For the ops these loops know, the op table's formulas; for the others,
 * ``locals[k]``, worked out in Python. 0 where ``locals[k]`` is not ``arity`` floats. */
static int
local_derivatives(int code, Py_ssize_t k, int arity, Py_ssize_t a, Py_ssize_t b, const double *data,
                  PyObject *locals, double d[2])
{
    switch (code) {
    case ADD:
        d[0] = d[1] = 1.0;
        return arity == 2;
    case MUL:
        if (arity != 2)
            return 0;
        d[0] = data[b];
        d[1] = data[a];
        return 1;
    case RELU:
        d[0] = d[1] = data[k] > 0 ? 1.0 : 0.0;
        return arity == 1;
    case OTHER: {
        PyObject *mine = PyList_GET_ITEM(locals, k);
        if (!PyTuple_CheckExact(mine) || PyTuple_GET_SIZE(mine) != arity || arity < 1 || arity > 2)
            return 0;
        PyObject *l0 = PyTuple_GET_ITEM(mine, 0), *l1 = PyTuple_GET_ITEM(mine, arity - 1);
        if (!PyFloat_CheckExact(l0) || !PyFloat_CheckExact(l1))
            return 0;
        d[0] = PyFloat_AS_DOUBLE(l0);
        d[1] = PyFloat_AS_DOUBLE(l1);
        return 1;
    }
    default:
        return 0;
    }
}

/* chain_rule(output, codes, arity, first, second, data, locals, reachable) -> list of floats, or
 * None where a node's local derivatives are not to be had here (the Python then works it all out):
 * ``_Judge._chain_rule``, over ``_Judge._flat``'s arrays and ``data`` as an array('d'). */
static PyObject *
chain_rule(PyObject *module, PyObject *args)
{
    Py_ssize_t output;
    PyObject *codes, *arity_o, *first_o, *second_o, *data_o, *locals, *reachable;
    if (!PyArg_ParseTuple(args, "nYSOOOO!Y:chain_rule", &output, &codes, &arity_o, &first_o, &second_o,
                          &data_o, &PyList_Type, &locals, &reachable))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(locals);
    if (PyByteArray_GET_SIZE(codes) != n || PyByteArray_GET_SIZE(reachable) != n ||
        PyBytes_GET_SIZE(arity_o) != n || output < 0 || output >= n) {
        PyErr_SetString(PyExc_ValueError, "chain_rule: lists of different lengths");
        return NULL;
    }
    Py_buffer vf, vs, vd;
    long long *first = view_of(first_o, &vf, "q", n, "chain_rule");
    long long *second = first == NULL ? NULL : view_of(second_o, &vs, "q", n, "chain_rule");
    double *data = second == NULL ? NULL : view_of(data_o, &vd, "d", n, "chain_rule");
    double *grads = data == NULL ? NULL : PyMem_Calloc(n, sizeof(double));
    PyObject *result = NULL;
    if (data != NULL && grads == NULL)
        PyErr_NoMemory();
    if (grads == NULL)
        goto done;
    const char *code = PyByteArray_AS_STRING(codes), *count = PyBytes_AS_STRING(arity_o);
    const char *reach = PyByteArray_AS_STRING(reachable);
    grads[output] = 1.0;
    for (Py_ssize_t k = output; k >= 0; k--) {
        double grad = grads[k], d[2];
        if (code[k] == LEAF || grad == 0.0 || !reach[k])
            continue;
        if (!local_derivatives(code[k], k, count[k], first[k], second[k], data, locals, d)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        grads[first[k]] += d[0] * grad;
        if (count[k] == 2)
            grads[second[k]] += d[1] * grad;
    }
    result = PyList_New(n);
    for (Py_ssize_t k = 0; result != NULL && k < n; k++) {
        PyObject *x = PyFloat_FromDouble(grads[k]);
        if (x == NULL)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, k, x);
    }
done:
    PyMem_Free(grads);
    if (data != NULL)
        PyBuffer_Release(&vd);
    if (second != NULL)
        PyBuffer_Release(&vs);
    if (first != NULL)
        PyBuffer_Release(&vf);
    return result;
}

/* before_suspects(codes, flat, operands, file_values, file_ops, op_names, initial) -> list of k:
 * the nodes where ``_Judge.before_backward`` may find something (``disconnected``, ``forward``,
 * ``not-zeroed``), for it to look at; the others are surely right. */
static PyObject *
before_suspects(PyObject *module, PyObject *args)
{
    PyObject *codes, *flat, *operands, *file_values, *file_ops, *op_names, *initial;
    Flat f;
    if (!PyArg_ParseTuple(args, "YOOO!O!O!O!:before_suspects", &codes, &flat, &operands, &PyList_Type,
                          &file_values, &PyList_Type, &file_ops, &PyList_Type, &op_names, &PyList_Type,
                          &initial) ||
        flat_open(&f, flat, operands, "before_suspects") < 0)
        return NULL;
    Py_ssize_t n = f.n;
    const double *data = f.values;
    if (all_floats(initial, "initial") < 0 || PyByteArray_GET_SIZE(codes) != n ||
        PyList_GET_SIZE(file_values) != n || PyList_GET_SIZE(file_ops) != n || PyList_GET_SIZE(op_names) != n ||
        PyList_GET_SIZE(initial) != n) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "before_suspects: lists of different lengths");
        flat_close(&f);
        return NULL;
    }
    const char *code = PyByteArray_AS_STRING(codes);
    PyObject *found = PyList_New(0);
    if (found == NULL) {
        flat_close(&f);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t count = flat_count(&f, k);
        int suspect = 0;
        if (count == 0) {
            PyObject *file_op = PyList_GET_ITEM(file_ops, k);
            if (file_op == Py_False) {
                PyObject *name = PyList_GET_ITEM(op_names, k);
                suspect = !(PyUnicode_CheckExact(name) && PyUnicode_GET_LENGTH(name) == 0);
            }
            else {
                suspect = file_op != Py_None;
            }
        }
        double here = data[k], value;
        PyObject *given = PyList_GET_ITEM(file_values, k);
        if (given != Py_None) {
            if (!number_of(given, &value) || !close_to(value, here))
                suspect = 1;
        }
        else if (count) {
            Py_ssize_t i = flat_operand(&f, k, 0), j = count > 1 ? flat_operand(&f, k, 1) : -1;
            double a = i >= 0 && i < n ? data[i] : NAN;
            double b = j >= 0 && j < n ? data[j] : 0.0;
            switch (code[k]) {
            case LEAF:
                break;
            case ADD:
                suspect |= count != 2 || !close_to(a + b, here);
                break;
            case MUL:
                suspect |= count != 2 || !close_to(a * b, here);
                break;
            case RELU:
                suspect |= count != 1 || !close_to(a > 0 ? a : 0.0, here);
                break;
            default:
                suspect = 1; /* the op's forward is Python's to work out */
            }
        }
        if (!close_to(FLOAT_AT(initial, k), 0.0))
            suspect = 1;
        if (suspect) {
            PyObject *x = PyLong_FromSsize_t(k);
            if (x == NULL || PyList_Append(found, x) < 0) {
                Py_XDECREF(x);
                Py_DECREF(found);
                flat_close(&f);
                return NULL;
            }
            Py_DECREF(x);
        }
    }
    flat_close(&f);
    return found;
}

/* uses(flat, operands, reachable, pending) -> reused: ``_Judge._uses``, ``pending`` (an array('q') of
 * zeros) filled with every use of each node by the nodes the output depends on; True where a node
 * is used twice. */
static PyObject *
uses(PyObject *module, PyObject *args)
{
    PyObject *flat, *operands, *reachable, *pending;
    Flat f;
    if (!PyArg_ParseTuple(args, "OOYO:uses", &flat, &operands, &reachable, &pending) ||
        flat_open(&f, flat, operands, "uses") < 0)
        return NULL;
    Py_ssize_t n = f.n;
    Py_buffer view;
    long long *count = PyByteArray_GET_SIZE(reachable) != n ? NULL : view_of(pending, &view, "q", n, "uses");
    if (count == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "uses: lists of different lengths");
        flat_close(&f);
        return NULL;
    }
    const char *reach = PyByteArray_AS_STRING(reachable);
    int reused = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (!reach[k])
            continue;
        for (Py_ssize_t i = 0, m = flat_count(&f, k); i < m; i++) {
            Py_ssize_t j = flat_operand(&f, k, i);
            if (j >= 0 && j < n && ++count[j] > 1)
                reused = 1;
        }
    }
    PyBuffer_Release(&view);
    flat_close(&f);
    return PyBool_FromLong(reused);
}

/* steps_in_turn(log, starts, ends, table, END, nodes, places) -> finished or None: for
 * ``_Judge._judge_steps_in_turn``. None where a step began before the last one ended (steps nest);
 * else fills ``nodes`` with each step's node (``table.get(node, -1)``) and ``places`` with where it
 * began (the number of the triple), all array('q') of one item a step, and returns whether each
 * returned (its end is ``END``). */
static PyObject *
steps_in_turn(PyObject *module, PyObject *args)
{
    PyObject *log, *starts_arr, *ends_arr, *table, *end, *nodes_arr, *places_arr;
    LogView lv;
    if (!PyArg_ParseTuple(args, "OOOOOOO:steps_in_turn", &log, &starts_arr, &ends_arr, &table, &end, &nodes_arr,
                          &places_arr) ||
        log_view(log, &lv, "steps_in_turn") < 0)
        return NULL;
    int by_address = PyObject_TypeCheck(table, &NodeTableType);
    if (!by_address && !PyDict_Check(table)) {
        PyErr_SetString(PyExc_TypeError, "steps_in_turn: table must be a dict or a NodeTable");
        return NULL;
    }
    Py_buffer vs, ve, vn, vp;
    long long *starts = view_of(starts_arr, &vs, "q", -1, "steps_in_turn");
    if (starts == NULL)
        return NULL;
    Py_ssize_t count = vs.shape[0], size = lv.size, previous = 0;
    /* a tape of this table's nodes: a step's node is its number, read without a search */
    int numbered = lv.tape != NULL && (PyObject *)lv.tape->table == table;
    long long *ends = view_of(ends_arr, &ve, "q", count, "steps_in_turn");
    long long *nodes = ends == NULL ? NULL : view_of(nodes_arr, &vn, "q", count, "steps_in_turn");
    long long *places = nodes == NULL ? NULL : view_of(places_arr, &vp, "q", count, "steps_in_turn");
    PyObject *result = NULL;
    if (places == NULL)
        goto done;
    for (Py_ssize_t s = 0; s < count; s++) {
        Py_ssize_t p = starts[s], q = ends[s];
        if (!(previous <= p && p < q && q + 2 < size)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        previous = q + 3;
    }
    PyObject *finished = PyByteArray_FromStringAndSize(NULL, count);
    if (finished == NULL)
        goto done;
    char *ended = PyByteArray_AS_STRING(finished);
    for (Py_ssize_t s = 0; s < count; s++) {
        Py_ssize_t p = starts[s], q = ends[s];
        Event *began = numbered ? &lv.tape->events[p / 3] : NULL;
        PyObject *key = log_object(&lv, p + 1);
        if (began != NULL && (began->tag & EV_KIND) == EV_START) {
            nodes[s] = began->tag >> EV_SHIFT;
        }
        else if (by_address) {
            nodes[s] = number_in((NodeTable *)table, key);
        }
        else {
            PyObject *v = PyDict_GetItemWithError(table, key);
            if (v == NULL && PyErr_Occurred()) {
                Py_DECREF(finished);
                goto done;
            }
            nodes[s] = v == NULL ? -1 : PyLong_AsLongLong(v);
            if (nodes[s] == -1 && PyErr_Occurred()) {
                Py_DECREF(finished);
                goto done;
            }
        }
        places[s] = p / 3;
        ended[s] = log_object(&lv, q) == end;
    }
    result = finished;
done:
    if (starts != NULL)
        PyBuffer_Release(&vs);
    if (ends != NULL)
        PyBuffer_Release(&ve);
    if (nodes != NULL)
        PyBuffer_Release(&vn);
    if (places != NULL)
        PyBuffer_Release(&vp);
    return result;
}

/* screen_steps(s, previous, nodes, starts, ends, finished, log, objects, arity, first, second, codes,
 * data, locals, output, cur, pending, first_step, grads, befores) -> (s, previous):
 *
 * ``_Judge._judge_steps_in_turn``'s loop, from step ``s``, over the steps that are surely right
 * the way the Python finds them so: a leaf's step that wrote nothing, and a step of a node whose
 * consumers' steps have all begun, run once, that wrote each of its operands' grads by what the
 * chain rule sends (one write for each of one or two different operands; any writes to the one
 * operand of a + a). Each such step is applied as the Python applies it (``cur``, ``pending``,
 * ``first_step``, ``grads``, ``befores``). It stops at the first step that is anything else,
 * changing nothing of it, and returns its number (``len(nodes)`` at the end) with ``previous``
 * (where the last step's writes ended) for the Python to go on from. ``nodes`` to ``ends``,
 * ``first``, ``second``, ``pending`` and ``first_step`` are array('q'); ``data``, ``cur`` and
 * ``grads`` array('d'); ``arity`` bytes from ``_Judge._flat``; ``finished`` and ``codes``
 * bytearrays; ``befores`` a list. */
static PyObject *
screen_steps(PyObject *module, PyObject *args)
{
    Py_ssize_t s, previous, output;
    PyObject *nodes_o, *starts_o, *ends_o, *finished, *log, *objects, *arity_o, *first_o, *second_o;
    PyObject *codes, *data_o, *locals, *cur_o, *pending_o, *first_step_o, *grads_o, *befores;
    LogView lv;
    if (!PyArg_ParseTuple(args, "nnOOOYOO!SOOYOO!nOOOOO!:screen_steps", &s, &previous, &nodes_o, &starts_o,
                          &ends_o, &finished, &log, &PyList_Type, &objects, &arity_o, &first_o, &second_o,
                          &codes, &data_o, &PyList_Type, &locals, &output, &cur_o, &pending_o, &first_step_o,
                          &grads_o, &PyList_Type, &befores) ||
        log_view(log, &lv, "screen_steps") < 0)
        return NULL;
    Py_ssize_t count = PyByteArray_GET_SIZE(finished), n = PyList_GET_SIZE(objects);
    if (PyList_GET_SIZE(befores) != count || PyByteArray_GET_SIZE(codes) != n ||
        PyBytes_GET_SIZE(arity_o) != n || PyList_GET_SIZE(locals) != n) {
        PyErr_SetString(PyExc_ValueError, "screen_steps: lists of different lengths");
        return NULL;
    }
    Py_buffer views[11];
    PyObject *arrays[11] = {nodes_o, starts_o, ends_o, first_o, second_o, data_o,
                            cur_o, pending_o, first_step_o, grads_o, NULL};
    const char *formats[10] = {"q", "q", "q", "q", "q", "d", "d", "q", "q", "d"};
    Py_ssize_t lengths[10] = {count, count, count, n, n, n, n, n, n, count};
    void *buffers[10];
    int got = 0;
    for (; got < 10; got++) {
        buffers[got] = view_of(arrays[got], &views[got], formats[got], lengths[got], "screen_steps");
        if (buffers[got] == NULL)
            break;
    }
    PyObject *result = NULL;
    if (got < 10)
        goto done;
    long long *nodes = buffers[0], *starts = buffers[1], *ends = buffers[2], *first = buffers[3];
    long long *second = buffers[4], *pending = buffers[7], *first_step = buffers[8];
    double *data = buffers[5], *cur = buffers[6], *grads = buffers[9];
    const char *arity = PyBytes_AS_STRING(arity_o), *code = PyByteArray_AS_STRING(codes);
    const char *done = PyByteArray_AS_STRING(finished);
    Py_ssize_t size = lv.size;
    for (; s < count; s++) {
        Py_ssize_t v = nodes[s], p = starts[s], q = ends[s];
        Py_ssize_t w = p + 3; /* the step's first write */
        if (p > previous || v < 0 || v >= n || !done[s] || v == output || q < w || q > size ||
            first_step[v] >= 0 || arity[v] > 2)
            break;
        double grad_v = cur[v];
        int n_in = arity[v], c = code[v];
        if (n_in == 0) {
            if (q != w)
                break; /* a leaf's step that wrote something */
        }
        else {
            Py_ssize_t a = first[v], b = second[v];
            if (pending[v] > 0 || a < 0 || a >= n || (n_in == 2 && (b < 0 || b >= n)))
                break; /* a consumer's step had not begun */
            double d[2];
            if (!local_derivatives(c, v, n_in, a, b, data, locals, d))
                break;
            double local_a = d[0], local_b = d[1];
            if (n_in == 2 && a == b) {
                /* a + a: every write is to the operand's grad; what it was sent is their sum */
                PyObject *node_a = PyList_GET_ITEM(objects, a), *key;
                double sent = 0.0, old, value = 0.0, earliest = 0.0;
                Py_ssize_t i;
                for (i = 0; i < q - w; i += 3) {
                    if (!log_write(&lv, w + i, &key, &old, &value) || key != node_a)
                        break;
                    if (i == 0)
                        earliest = old;
                    sent = sent + (value - old);
                }
                if (i < q - w)
                    break;
                double scale = q == w ? 0.0 : fmax(fabs(earliest), fabs(value));
                if (!sent_close(sent, (local_a + local_b) * grad_v, scale))
                    break;
                PyObject *before = PyFloat_FromDouble(cur[a]);
                PyObject *pair = before == NULL ? NULL : PyTuple_Pack(2, before, before);
                Py_XDECREF(before);
                if (pair == NULL)
                    goto done;
                PyList_SetItem(befores, s, pair);
                if (q > w)
                    cur[a] = value;
                pending[a] -= 2;
            }
            else if (n_in == 2) {
                if (q - w != 6)
                    break;
                PyObject *node_a = PyList_GET_ITEM(objects, a), *node_b = PyList_GET_ITEM(objects, b);
                PyObject *key_1, *key_2;
                double old_1, got_1, old_2, got_2;
                if (!log_write(&lv, w, &key_1, &old_1, &got_1) || !log_write(&lv, w + 3, &key_2, &old_2, &got_2))
                    break;
                int first_a = key_1 == node_a && key_2 == node_b;
                if (!first_a && !(key_1 == node_b && key_2 == node_a))
                    break;
                double old_a = first_a ? old_1 : old_2, got_a = first_a ? got_1 : got_2;
                double old_b = first_a ? old_2 : old_1, got_b = first_a ? got_2 : got_1;
                if (!sent_close(got_a - old_a, local_a * grad_v, fmax(fabs(old_a), fabs(got_a))) ||
                    !sent_close(got_b - old_b, local_b * grad_v, fmax(fabs(old_b), fabs(got_b))))
                    break;
                cur[a] = got_a;
                cur[b] = got_b;
                pending[a] -= 1;
                pending[b] -= 1;
            }
            else {
                PyObject *key;
                double old_a, got_a;
                if (q - w != 3 || !log_write(&lv, w, &key, &old_a, &got_a) || key != PyList_GET_ITEM(objects, a))
                    break;
                if (!sent_close(got_a - old_a, local_a * grad_v, fmax(fabs(old_a), fabs(got_a))))
                    break;
                cur[a] = got_a;
                pending[a] -= 1;
            }
        }
        if (n_in == 0)
            PyList_SetItem(befores, s, PyTuple_New(0));
        first_step[v] = s;
        grads[s] = grad_v;
        previous = q + 3;
    }
    result = Py_BuildValue("(nn)", s, previous);
done:
    for (int i = 0; i < got; i++)
        PyBuffer_Release(&views[i]);
    return result;
}

/* zero_inputs(flat, operands, codes, reachable) -> list of k: the nodes the output depends on with
 * no op whose value is 0 and that are an operand of a product the output depends on
 * (``_Judge.blind_spots``). */
static PyObject *
zero_inputs(PyObject *module, PyObject *args)
{
    PyObject *flat, *operands, *codes, *reachable;
    Flat f;
    if (!PyArg_ParseTuple(args, "OOYY:zero_inputs", &flat, &operands, &codes, &reachable) ||
        flat_open(&f, flat, operands, "zero_inputs") < 0)
        return NULL;
    Py_ssize_t n = f.n;
    const double *data = f.values;
    char *in_product = NULL;
    if (PyByteArray_GET_SIZE(codes) != n || PyByteArray_GET_SIZE(reachable) != n)
        PyErr_SetString(PyExc_ValueError, "zero_inputs: lists of different lengths");
    else if ((in_product = PyMem_Calloc(n ? n : 1, 1)) == NULL)
        PyErr_NoMemory();
    if (in_product == NULL) {
        flat_close(&f);
        return NULL;
    }
    const char *code = PyByteArray_AS_STRING(codes), *reach = PyByteArray_AS_STRING(reachable);
    for (Py_ssize_t k = 0; k < n; k++) {
        if (code[k] != MUL || !reach[k])
            continue;
        for (Py_ssize_t i = 0, m = flat_count(&f, k); i < m; i++) {
            Py_ssize_t j = flat_operand(&f, k, i);
            if (j >= 0 && j < n)
                in_product[j] = 1;
        }
    }
    PyObject *found = PyList_New(0);
    for (Py_ssize_t k = 0; found != NULL && k < n; k++) {
        if (in_product[k] && reach[k] && code[k] == LEAF && data[k] == 0.0) {
            PyObject *x = PyLong_FromSsize_t(k);
            if (x == NULL || PyList_Append(found, x) < 0)
                Py_CLEAR(found);
            Py_XDECREF(x);
        }
    }
    PyMem_Free(in_product);
    flat_close(&f);
    return found;
}

/* never_ran(reachable, flat, operands, stepped) -> list of k, highest first: the nodes the output depends
 * on that have operands and whose step never ran (``_Judge.after_backward``); ``stepped`` is the
 * node of each step, a list or an array('q'). */
static PyObject *
never_ran(PyObject *module, PyObject *args)
{
    PyObject *reachable, *flat, *operands, *stepped;
    Flat f;
    if (!PyArg_ParseTuple(args, "YOOO:never_ran", &reachable, &flat, &operands, &stepped) ||
        flat_open(&f, flat, operands, "never_ran") < 0)
        return NULL;
    Py_ssize_t n = f.n;
    char *ran = NULL;
    if (PyByteArray_GET_SIZE(reachable) != n)
        PyErr_SetString(PyExc_ValueError, "never_ran: lists of different lengths");
    else if ((ran = PyMem_Calloc(n ? n : 1, 1)) == NULL)
        PyErr_NoMemory();
    if (ran == NULL) {
        flat_close(&f);
        return NULL;
    }
    if (PyList_Check(stepped)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(stepped); i++) {
            Py_ssize_t v = INT_AT(stepped, i);
            if (v >= 0 && v < n)
                ran[v] = 1;
        }
    }
    else {
        Py_buffer view;
        long long *steps = view_of(stepped, &view, "q", -1, "never_ran");
        if (steps == NULL) {
            PyMem_Free(ran);
            flat_close(&f);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < view.shape[0]; i++)
            if (steps[i] >= 0 && steps[i] < n)
                ran[steps[i]] = 1;
        PyBuffer_Release(&view);
    }
    const char *reach = PyByteArray_AS_STRING(reachable);
    PyObject *found = PyList_New(0);
    for (Py_ssize_t k = n - 1; found != NULL && k >= 0; k--) {
        if (reach[k] && !ran[k] && flat_count(&f, k)) {
            PyObject *x = PyLong_FromSsize_t(k);
            if (x == NULL || PyList_Append(found, x) < 0)
                Py_CLEAR(found);
            Py_XDECREF(x);
        }
    }
    PyMem_Free(ran);
    flat_close(&f);
    return found;
}

/* first_differing(got, expected, start) -> k: the first node from ``start`` whose two numbers are
 * not close (or not both floats, for the Python to look at); ``len(got)`` where there is none. */
static PyObject *
first_differing(PyObject *module, PyObject *args)
{
    PyObject *got, *expected;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "O!O!n:first_differing", &PyList_Type, &got, &PyList_Type, &expected, &k))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(got);
    if (PyList_GET_SIZE(expected) != n) {
        PyErr_SetString(PyExc_ValueError, "first_differing: lists of different lengths");
        return NULL;
    }
    for (; k < n; k++) {
        PyObject *x = PyList_GET_ITEM(got, k), *y = PyList_GET_ITEM(expected, k);
        if (!PyFloat_CheckExact(x) || !PyFloat_CheckExact(y) ||
            !close_to(PyFloat_AS_DOUBLE(x), PyFloat_AS_DOUBLE(y)))
            break;
    }
    return PyLong_FromSsize_t(k);
}

/* arrange(names, raw, ordered, known, ADD, MUL) -> (ops, params, operands, codes, left): the loop
 * of ``foreign.read`` that gives each node its op and its operands in op order, for the nodes
 * whose op name is a str in ``known`` (name -> (op, param, arity, code)) and that take the easy way
 * there (``arrange_walked``, as ``walk`` does), for a graph the general walk read. ``operands`` is
 * a FlatOperands; ``codes`` has each such node's code (``foreign.OP_CODES``), 0 for the others.
 * Every other node with operands is in ``left``, in order, for the Python to arrange. */
static PyObject *
arrange(PyObject *module, PyObject *args)
{
    PyObject *names, *raw, *ordered;
    Arranged arr = {NULL};
    if (!PyArg_ParseTuple(args, "O!O!O!O!OO:arrange", &PyList_Type, &names, &PyList_Type, &raw, &PyList_Type,
                          &ordered, &PyDict_Type, &arr.known, &arr.op_add, &arr.op_mul))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(names);
    if (PyList_GET_SIZE(raw) != n || PyList_GET_SIZE(ordered) != n) {
        PyErr_SetString(PyExc_ValueError, "arrange: lists of different lengths");
        return NULL;
    }
    if (arranged_start(&arr, 0) < 0)
        return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *slots = PyList_GET_ITEM(raw, k);
        if (!PyList_CheckExact(slots) && !PyTuple_CheckExact(slots)) {
            PyErr_SetString(PyExc_TypeError, "arrange: operands must be lists or tuples");
            arranged_clear(&arr);
            return NULL;
        }
        Py_ssize_t count = PySequence_Fast_GET_SIZE(slots), numbers[2] = {-1, -1};
        for (Py_ssize_t i = 0; i < count && i < 2; i++)
            numbers[i] = PyLong_AsSsize_t(PySequence_Fast_ITEMS(slots)[i]);
        if (PyErr_Occurred() ||
            arrange_walked(&arr, k, PyList_GET_ITEM(names, k), count, numbers,
                           PyList_GET_ITEM(ordered, k) == Py_True) < 0) {
            arranged_clear(&arr);
            return NULL;
        }
    }
    return arranged_result(&arr, n);
}

/* doubles(items) -> array('d'): ``array("d", items)`` for a list (a float read as it is, anything
 * else as ``float()`` would, as the array does), without the array's item-by-item conversion. */
static PyObject *
doubles(PyObject *module, PyObject *list)
{
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "doubles: a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    double *items;
    PyObject *result = new_array("d", n, (void **)&items);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t k = 0; k < n && k < PyList_GET_SIZE(list); k++) {
        PyObject *x = PyList_GET_ITEM(list, k);
        if (PyFloat_CheckExact(x)) {
            items[k] = PyFloat_AS_DOUBLE(x);
            continue;
        }
        double d = PyFloat_AsDouble(x);
        if (d == -1.0 && PyErr_Occurred()) {
            Py_DECREF(result);
            return NULL;
        }
        items[k] = d;
    }
    return result;
}

/* --- the module --------------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"walk", walk, METH_VARARGS, "see foreign._walk_by_node"},
    {"doubles", doubles, METH_O, "array('d', items) for a list, at C speed"},
    {"arrange", arrange, METH_VARARGS, "see foreign.read"},
    {"all_exactly", all_exactly, METH_VARARGS, "see foreign.read"},
    {"where_is", where_is, METH_VARARGS, "see foreign.read"},
    {"chain_rule", chain_rule, METH_VARARGS, "see checker._Judge._chain_rule"},
    {"uses", uses, METH_VARARGS, "see checker._Judge._uses"},
    {"before_suspects", before_suspects, METH_VARARGS, "see checker._Judge.before_backward"},
    {"screen_steps", screen_steps, METH_VARARGS, "see checker._Judge._judge_steps_in_turn"},
    {"steps_in_turn", steps_in_turn, METH_VARARGS, "see checker._Judge._judge_steps_in_turn"},
    {"zero_inputs", zero_inputs, METH_VARARGS, "see checker._Judge.blind_spots"},
    {"never_ran", never_ran, METH_VARARGS, "see checker._Judge.after_backward"},
    {"first_differing", first_differing, METH_VARARGS, "see checker._Judge.after_backward"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "gradstep.core._speedups",
    "The engine check's hot loops in C (see the Python each stands for).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    str_grad = PyUnicode_InternFromString("grad");
    str_backward = PyUnicode_InternFromString("_backward");
    str_data = PyUnicode_InternFromString("data");
    str_empty = PyUnicode_InternFromString("");
    PyObject *array_module = PyImport_ImportModule("array");
    array_type = array_module == NULL ? NULL : PyObject_GetAttrString(array_module, "array");
    Py_XDECREF(array_module);
    if (array_type == NULL)
        return NULL;
    if (str_grad == NULL || str_backward == NULL || str_data == NULL ||
        str_empty == NULL)
        return NULL;
    PyTypeObject *types[] = {&StepHookType, &StepCallType, &NodeTableType, &GradStoreType, &TapeType,
                             &FlatOperandsType};
    for (int i = 0; i < 6; i++)
        if (PyType_Ready(types[i]) < 0)
            return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "StepHook", (PyObject *)&StepHookType) < 0 ||
        PyModule_AddObjectRef(m, "NodeTable", (PyObject *)&NodeTableType) < 0 ||
        PyModule_AddObjectRef(m, "GradStore", (PyObject *)&GradStoreType) < 0 ||
        PyModule_AddObjectRef(m, "Tape", (PyObject *)&TapeType) < 0 ||
        PyModule_AddObjectRef(m, "FlatOperands", (PyObject *)&FlatOperandsType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
