-- a failed expect_eq inside a helper (line 3), called from line 5
local function check(x)
  expect_eq(x, 2, "the answer")
end
check(1)
