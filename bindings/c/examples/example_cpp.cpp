// zarrkit from C++ through the same C header: RAII handles, exceptions from status codes,
// std::vector buffers, std::string elements, a group listing.
//
//   example_cpp [DIR]     (default: an in-memory store; with DIR, writes DIR/example_cpp.zarr)
#include <cstdint>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "zarrkit.h"

namespace {

// A zarrkit error as an exception: the status, the thread's last message and path.
struct Error : std::runtime_error {
    ZarrkitStatus status;
    Error(ZarrkitStatus s, const std::string &what) : std::runtime_error(what), status(s) {}
};

std::string last_string(ZarrkitStatus (*get)(char *, size_t, size_t *)) {
    size_t need = 0;
    get(nullptr, 0, &need);
    std::string s(need, '\0');
    get(s.data(), s.size(), &need);
    s.resize(need > 0 ? need - 1 : 0);
    return s;
}

void check(ZarrkitStatus status, const char *what) {
    if (status == ZARRKIT_STATUS_OK) return;
    std::string message = std::string(what) + ": " + zarrkit_status_name(status) + ": " +
                          last_string(zarrkit_last_error_message);
    std::string path = last_string(zarrkit_last_error_path);
    if (!path.empty()) message += " at " + path;
    throw Error(status, message);
}

template <typename T, ZarrkitStatus (*Destroy)(T *)>
struct Deleter {
    void operator()(T *p) const { Destroy(p); }
};
using Store = std::unique_ptr<ZarrkitStore, Deleter<ZarrkitStore, zarrkit_store_destroy>>;
using Array = std::unique_ptr<ZarrkitArray, Deleter<ZarrkitArray, zarrkit_array_destroy>>;
using Group = std::unique_ptr<ZarrkitGroup, Deleter<ZarrkitGroup, zarrkit_group_destroy>>;
using Builder = std::unique_ptr<ZarrkitArrayBuilder,
                                Deleter<ZarrkitArrayBuilder, zarrkit_array_builder_destroy>>;
using Strings = std::unique_ptr<ZarrkitVariableData,
                                Deleter<ZarrkitVariableData, zarrkit_variable_data_destroy>>;
using Nodes = std::unique_ptr<ZarrkitNodeList, Deleter<ZarrkitNodeList, zarrkit_node_list_destroy>>;
using Selection =
    std::unique_ptr<ZarrkitSelection, Deleter<ZarrkitSelection, zarrkit_selection_destroy>>;

ZarrkitRegion subset(const std::vector<uint64_t> &start, const std::vector<uint64_t> &shape) {
    ZarrkitRegion r{};
    r.kind = ZARRKIT_REGION_KIND_SUBSET;
    r.rank = shape.size();
    r.start = start.data();
    r.shape = shape.data();
    return r;
}

Array build(ZarrkitStore *store, const char *path, std::vector<uint64_t> shape,
            std::vector<uint64_t> chunks, const char *dtype, const char *fill,
            const char *codecs = nullptr) {
    ZarrkitArrayBuilder *b = nullptr;
    check(zarrkit_array_builder_create(shape.size(), shape.data(), chunks.data(), dtype, fill, &b),
          "builder");
    Builder builder(b);
    if (codecs) check(zarrkit_array_builder_set_codecs_json(b, codecs), "codecs");
    ZarrkitArray *a = nullptr;
    check(zarrkit_array_builder_build(b, store, path, &a), "build");
    return Array(a);
}

std::vector<std::string> read_strings(ZarrkitArray *a, const ZarrkitRegion &r) {
    ZarrkitVariableData *d = nullptr;
    check(zarrkit_array_read_variable(a, &r, &d), "read strings");
    Strings data(d);
    size_t n = 0, bytes = 0;
    check(zarrkit_variable_data_size(d, &n, &bytes), "sizes");
    std::vector<uint64_t> offsets(n + 1);
    std::vector<uint8_t> buf(bytes);
    check(zarrkit_variable_data_copy(d, offsets.data(), offsets.size(), buf.data(), buf.size()),
          "copy");
    std::vector<std::string> out;
    for (size_t i = 0; i < n; i++)
        out.emplace_back(buf.begin() + offsets[i], buf.begin() + offsets[i + 1]);
    return out;
}

}  // namespace

int main(int argc, char **argv) try {
    if (zarrkit_abi_version() != ZARRKIT_ABI_VERSION) throw std::runtime_error("ABI mismatch");
    ZarrkitStore *s = nullptr;
    if (argc > 1) {
        std::string url = std::string("file://") + argv[1] + "/example_cpp.zarr";
        check(zarrkit_store_open_url(url.c_str(), &s), "open store");
    } else {
        check(zarrkit_store_create_memory(&s), "memory store");
    }
    Store store(s);
    ZarrkitGroup *g = nullptr;
    check(zarrkit_group_create(store.get(), "/", 3, nullptr, &g), "group");
    Group root(g);

    Array ints = build(store.get(), "/ints", {4, 5}, {2, 5}, "int32", "-1");
    std::vector<int32_t> values(20);
    for (size_t i = 0; i < values.size(); i++) values[i] = static_cast<int32_t>(i * i);
    std::vector<uint64_t> zero{0, 0}, shape{4, 5};
    ZarrkitRegion all = subset(zero, shape);
    check(zarrkit_array_write_elements(ints.get(), &all, ZARRKIT_ELEMENT_TYPE_INT32, values.data(),
                                       values.size()),
          "write");
    std::vector<int32_t> back(values.size());
    check(zarrkit_array_read_elements(ints.get(), &all, ZARRKIT_ELEMENT_TYPE_INT32, back.data(),
                                      back.size()),
          "read");
    if (back != values) throw std::runtime_error("read back differs");
    std::cout << "ints[3][4] = " << back[19] << "\n";

    // An orthogonal selection, ints.oindex[[3, 0], ::2]: its shape, then a read.
    ZarrkitSelection *sp = nullptr;
    check(zarrkit_selection_create(ZARRKIT_SELECTION_KIND_ORTHOGONAL, &sp), "selection");
    Selection sel(sp);
    std::vector<int64_t> rows{3, 0};
    check(zarrkit_selection_push_array(sp, rows.data(), rows.size()), "rows");
    check(zarrkit_selection_push_slice(sp, 0, 0, 2, 0), "columns");
    ZarrkitRegion picked{};
    picked.kind = ZARRKIT_REGION_KIND_SELECTION;
    picked.selection = sp;
    size_t ndim = 0;
    std::vector<uint64_t> pshape(2);
    check(zarrkit_array_region_shape(ints.get(), &picked, pshape.data(), pshape.size(), &ndim),
          "selection shape");
    if (ndim != 2 || pshape[0] != 2 || pshape[1] != 3) throw std::runtime_error("selection shape");
    std::vector<int32_t> picks(6);
    check(zarrkit_array_read_elements(ints.get(), &picked, ZARRKIT_ELEMENT_TYPE_INT32, picks.data(),
                                      picks.size()),
          "read selection");
    if (picks != std::vector<int32_t>{225, 289, 361, 0, 4, 16})
        throw std::runtime_error("selection values");
    std::cout << "ints.oindex[[3, 0], ::2] =";
    for (int32_t p : picks) std::cout << " " << p;
    std::cout << "\n";
    sel.reset();

    // A typed read with the wrong element type is an exception carrying the status.
    std::vector<float> wrong(values.size());
    try {
        check(zarrkit_array_read_elements(ints.get(), &all, ZARRKIT_ELEMENT_TYPE_FLOAT32,
                                          wrong.data(), wrong.size()),
              "read as float");
        throw std::runtime_error("a float read of an int32 array succeeded");
    } catch (const Error &e) {
        if (e.status != ZARRKIT_STATUS_DATA_TYPE) throw;
        std::cout << "expected error: " << e.what() << "\n";
    }

    Array names = build(store.get(), "/names", {3}, {2}, "string", "\"\"", "[\"vlen-utf8\"]");
    std::string text = "zarrkitC++";
    std::vector<uint64_t> offsets{0, 7, 8, 10};
    std::vector<uint64_t> z1{0}, n3{3};
    ZarrkitRegion three = subset(z1, n3);
    check(zarrkit_array_write_variable(names.get(), &three, offsets.data(), offsets.size(),
                                       reinterpret_cast<const uint8_t *>(text.data()), text.size()),
          "write strings");
    std::vector<std::string> got = read_strings(names.get(), three);
    if (got != std::vector<std::string>{"zarrkit", "C", "++"}) throw std::runtime_error("strings");
    for (const auto &n : got) std::cout << "name: " << n << "\n";

    ZarrkitNodeList *l = nullptr;
    check(zarrkit_group_children(root.get(), &l), "children");
    Nodes children(l);
    size_t count = 0;
    check(zarrkit_node_list_count(l, &count), "count");
    for (size_t i = 0; i < count; i++) {
        size_t need = 0;
        check(zarrkit_node_list_name(l, i, nullptr, 0, &need), "name size");
        std::string name(need, '\0');
        check(zarrkit_node_list_name(l, i, name.data(), name.size(), &need), "name");
        name.resize(need - 1);
        std::cout << "child: " << name << "\n";
    }
    if (count != 2) throw std::runtime_error("expected 2 children");

    // Release everything (in no particular order), then check nothing leaked.
    store.reset();
    children.reset();
    names.reset();
    ints.reset();
    root.reset();
    if (zarrkit_live_handle_count() != 0) throw std::runtime_error("handles leaked");
    std::cout << "example_cpp: ok\n";
    return 0;
} catch (const std::exception &e) {
    std::cerr << "example_cpp failed: " << e.what() << "\n";
    return 1;
}
