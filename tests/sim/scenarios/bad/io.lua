-- io is not there: line 2
io.write("x")
