// Only the trained model is under attack here: the functions are not submitted.
export {};
