"""Voice design (text to voice): a voice description becomes three preview voices the local engines render."""
