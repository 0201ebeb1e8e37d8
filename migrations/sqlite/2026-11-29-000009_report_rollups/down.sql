DROP TABLE use_bounds;
DROP TABLE rollup_state;
DROP TABLE ending_months;
DROP TABLE user_months;
DROP TABLE use_months;
