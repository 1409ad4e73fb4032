// wake_bench: what an actor costs asleep and awake, and how long waking one takes.
//
// Fills an LMDB store with N sleeping actors (httpActor's state: two counters), then
//  - bytes on disk per sleeping actor (data file size / N),
//  - time to wake one: store load + state decode + instance construction, for random ids
//    (median and p99 over `samples` wakes; the store's pages are warm, as for a recently
//    used actor),
//  - memory per awake idle actor: heap growth (mallinfo2) while `awake` instances are held in
//    a map the way a scheduler shard holds them, with their last saved state.
// Usage: wake_bench [N=200000] [samples=20000] [awake=100000]
#include "examples/request_json.hpp"

#include "actorhost/actor/actor.hpp"
#include "actorhost/actor/actor_id.hpp"
#include "actorhost/actor/registry.hpp"
#include "actorhost/store/lmdb_store.hpp"

#include <asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <malloc.h>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// Bytes the heap has handed out (RSS would hide reuse of memory freed earlier).
std::size_t heap_in_use() { return mallinfo2().uordblks; }

} // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 200'000;
  const std::size_t samples = argc > 2 ? std::stoul(argv[2]) : 20'000;
  const std::size_t awake = std::min(n, argc > 3 ? std::stoul(argv[3]) : std::size_t{100'000});

  const auto dir = std::filesystem::temp_directory_path() / ("wake_bench_" + std::to_string(::getpid()));
  actorhost::registry reg;
  reg.add(actorhost::actor<examples::request_count_state>{.name = "counter", .on_auth = actorhost::allow_all});
  const auto* def = reg.find("counter");
  asio::io_context ctx;

  std::vector<std::string> ids;
  ids.reserve(n);
  {
    actorhost::store::lmdb_store store({dir, std::size_t{64} << 20, std::size_t{1} << 40, false});
    std::vector<actorhost::store::actor_write> batch;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<std::string> key{"k" + std::to_string(i)};
      ids.push_back(actorhost::make_actor_id("counter", key));
      actorhost::store::actor_write w;
      w.id = actorhost::actor_id_hash(ids.back());
      w.meta_json = actorhost::store::encode_meta("counter", key, "");
      w.state_json = R"({"requestCount":)" + std::to_string(i) + R"(,"count":)" + std::to_string(i) + "}";
      batch.push_back(std::move(w));
      if (batch.size() == 10'000 || i + 1 == n) {
        if (auto ec = store.write(batch)) {
          std::fprintf(stderr, "write failed: %s\n", ec.message().c_str());
          return 1;
        }
        batch.clear();
      }
    }
    store.sync();
  }
  const auto data_bytes = std::filesystem::file_size(dir / "data.mdb");

  actorhost::store::lmdb_store store({dir});
  std::mt19937_64 rng(42);
  std::vector<double> wake_us;
  wake_us.reserve(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    const auto& id = ids[rng() % n];
    const auto t0 = std::chrono::steady_clock::now();
    auto rec = store.load(actorhost::actor_id_hash(id));
    auto inst = def->wake(id, std::move(rec->key), std::move(rec->input_json), rec->state_json, ctx.get_executor());
    const auto t1 = std::chrono::steady_clock::now();
    wake_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(wake_us.begin(), wake_us.end());

  const std::size_t before = heap_in_use();
  std::unordered_map<std::uint64_t, std::shared_ptr<actorhost::instance_base>> held;
  held.reserve(awake);
  for (std::size_t i = 0; i < awake; ++i) {
    auto rec = store.load(actorhost::actor_id_hash(ids[i]));
    std::shared_ptr<actorhost::instance_base> inst =
        def->wake(ids[i], std::move(rec->key), std::move(rec->input_json), rec->state_json, ctx.get_executor());
    inst->saved_state = std::move(rec->state_json); // the scheduler keeps the last saved bytes
    held.emplace(actorhost::actor_id_hash(ids[i]), std::move(inst));
  }
  const std::size_t after = heap_in_use();

  std::printf("actors on disk:            %zu\n", n);
  std::printf("bytes per sleeping actor:  %.0f (data.mdb %.1f MiB)\n", double(data_bytes) / n, data_bytes / 1048576.0);
  std::printf("wake (load+decode+build):  median %.2f us, p99 %.2f us over %zu random wakes\n",
              wake_us[wake_us.size() / 2], wake_us[wake_us.size() * 99 / 100], samples);
  std::printf("memory per awake actor:    %.0f bytes (heap +%zu KiB for %zu actors, map entry included)\n",
              double(after - before) / awake, (after - before) / 1024, awake);
  held.clear();
  std::filesystem::remove_all(dir);
  return 0;
}
