-- wrk script: every request goes to a new actor (getOrCreate with a fresh key), so a run of
-- N requests touches N distinct actors. Each wrk thread numbers its keys apart.
local thread_id = 0
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
local n = 0
function request()
  n = n + 1
  local key = "m-" .. tostring(tid or 0) .. "-" .. n
  return wrk.format("GET", nil,
    { ["X-RivetKit-Actor-Query"] = '{"getOrCreateForKey":{"name":"httpActor","key":["' .. key .. '"]}}' })
end
