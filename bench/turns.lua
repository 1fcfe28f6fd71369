-- The paths given after `--` requested in turn (a mix of pages), summed up as report.lua does.
dofile("bench/report.lua")

local paths, n = {}, 0

function init(args)
  for i = 1, #args do
    paths[i] = args[i]
  end
end

function request()
  n = n + 1
  return wrk.format(nil, paths[n % #paths + 1])
end
