"""Working time: the org's working days (weekends, holidays, make-up days) and working hours."""
