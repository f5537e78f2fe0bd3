"""Background work: RQ job functions, dispatcher, scheduler (service tasks land here)."""
