"""The calendar: meetings with attendees and their answers, alarms, busy time and feeds."""
