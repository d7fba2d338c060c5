#include "experiments/figure.hpp"

#include <algorithm>

namespace gt::experiments {

namespace {
std::vector<std::unique_ptr<Figure>>& registry() {
    static std::vector<std::unique_ptr<Figure>> r;
    return r;
}
int figure_number(const std::string& id) {
    std::size_t i = 0;
    while (i < id.size() && !std::isdigit(static_cast<unsigned char>(id[i]))) ++i;
    return i < id.size() ? std::atoi(id.c_str() + i) : 1000;
}
}  // namespace

json Summary::to_json() const {
    json j;
    j["figure"] = figure;
    j["title"] = title;
    j["preset"] = preset;
    j["dataset"] = dataset;
    j["command"] = command;
    j["setup"] = setup;
    j["images"] = images;
    j["seconds"] = seconds;
    j["cpu_seconds"] = cpu_seconds;
    j["rows"] = json::array();
    for (const auto& r : rows)
        j["rows"].push_back({{"quantity", r.quantity}, {"ours", r.ours}, {"paper", r.paper}, {"source", r.source}});
    j["claims"] = json::array();
    for (const auto& c : claims) j["claims"].push_back({{"claim", c.claim}, {"pass", c.pass}, {"detail", c.detail}});
    j["differences"] = differences;
    j["plot_failures"] = plot_failures;
    return j;
}

Summary Summary::from_json(const json& j, const std::string& where) {
    try {
        Summary s;
        s.figure = j.at("figure").get<std::string>();
        s.title = j.at("title").get<std::string>();
        s.preset = j.at("preset").get<std::string>();
        s.dataset = j.at("dataset").get<std::string>();
        s.command = j.at("command").get<std::string>();
        s.setup = j.at("setup").get<std::string>();
        s.images = j.at("images").get<std::vector<std::string>>();
        s.seconds = j.at("seconds").get<double>();
        s.cpu_seconds = j.value("cpu_seconds", 0.0);  // absent in summaries written before it existed
        for (const auto& r : j.at("rows"))
            s.rows.push_back({r.at("quantity"), r.at("ours"), r.at("paper"), r.at("source")});
        for (const auto& c : j.at("claims")) s.claims.push_back({c.at("claim"), c.at("pass"), c.at("detail")});
        s.differences = j.at("differences").get<std::vector<std::string>>();
        s.plot_failures = j.value("plot_failures", std::vector<std::string>{});  // absent in older summaries
        return s;
    } catch (const json::exception& e) {
        throw IoError(where + ": not a gramtape summary (" + e.what() + ")");
    }
}

json DeclaredFigure::defaults(const std::string& preset, const std::string& dataset) const {
    json d = spec_.paper;
    if (const auto it = spec_.presets.find(preset); it != spec_.presets.end()) d.update(it->second);
    if (spec_.for_dataset) spec_.for_dataset(d, dataset);
    return d;
}

bool register_figure(std::unique_ptr<Figure> f) {
    registry().push_back(std::move(f));
    return true;
}

std::vector<const Figure*> figures() {
    std::vector<const Figure*> out;
    for (const auto& f : registry()) out.push_back(f.get());
    std::stable_sort(out.begin(), out.end(), [](const Figure* a, const Figure* b) {
        return figure_number(a->info().id) < figure_number(b->info().id);
    });
    return out;
}

const Figure* find_figure(const std::string& id) {
    for (const auto& f : registry())
        if (f->info().id == id) return f.get();
    return nullptr;
}

std::string figure_ids() {
    std::string s;
    for (const Figure* f : figures()) s += (s.empty() ? "" : ", ") + f->info().id;
    return s;
}

}  // namespace gt::experiments
