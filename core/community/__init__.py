"""Community life: notices to residents (:mod:`.notices`, delivered by :mod:`.broadcast`)."""
