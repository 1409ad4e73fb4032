-- wrk script: every request carries httpActor's query header. BENCH_KEYS > 1 spreads the
-- requests over that many actor keys (one key per connection), else all hit one actor.
local keys = tonumber(os.getenv("BENCH_KEYS") or "1")
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local key = "bench"
  if keys > 1 then key = "bench-" .. (id % keys) end
  wrk.headers["X-RivetKit-Actor-Query"] =
    '{"getOrCreateForKey":{"name":"httpActor","key":["' .. key .. '"]}}'
end
