"""`baton dev`: the whole local stack as one supervised unit (`supervisor`), and the demo
team and project `make run` sets up (`demo`)."""
