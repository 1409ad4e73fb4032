-- wrk script: every request carries httpActor's query header. BENCH_KEYS > 1 spreads the
-- requests over that many actor keys in round robin (so every connection touches many
-- actors), else all of them go to one actor. BENCH_METHOD sets the method (default GET).
-- With one key no request() function is defined, so wrk sends a prebuilt request and the
-- client costs what it costs against nginx.
local keys = tonumber(os.getenv("BENCH_KEYS") or "1")
local method = os.getenv("BENCH_METHOD") or "GET"

local function query(key)
  return '{"getOrCreateForKey":{"name":"httpActor","key":["' .. key .. '"]}}'
end

wrk.method = method
if keys <= 1 then
  wrk.headers["X-RivetKit-Actor-Query"] = query("bench")
else
  local n = 0
  function request()
    n = n + 1
    return wrk.format(nil, nil, { ["X-RivetKit-Actor-Query"] = query("bench-" .. (n % keys)) })
  end
end
